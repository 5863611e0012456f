-- 008 create messaging tables: undo. Undelivered messages and the record of applied ones are
-- lost: a redelivered message would then be applied again.

DROP TABLE inbox_messages;
DROP TABLE outbox_messages;
