-- 006 create users and connected apps: undo. Every user and connected app is lost; tokens
-- already issued stop working at their expiry.

DROP TABLE connected_apps;
DROP TABLE users;
