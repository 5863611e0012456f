-- 004 create query locators: undo.

DROP TABLE query_locators;
