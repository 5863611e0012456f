-- 009 create work order sap sync: undo.

DROP TABLE work_order_sap_sync;
