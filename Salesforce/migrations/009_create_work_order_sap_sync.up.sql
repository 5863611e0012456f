-- 009 create work order sap sync: the CRM work-order flow's own state per WorkOrder.
--
-- sap_sequence: the number of the newest SAP status written onto the WorkOrder. SAP numbers
-- its status changes and the messages may arrive out of order; one not newer than this is
-- a late delivery and changes nothing. Not an sObject field: no user sees or sets it.
-- A new table: nothing else is locked. Its rows go with their WorkOrder.

CREATE TABLE work_order_sap_sync (
    work_order_id INTEGER NOT NULL,
    sap_sequence INTEGER DEFAULT 0 NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    CONSTRAINT pk_work_order_sap_sync PRIMARY KEY (work_order_id),
    CONSTRAINT fk_work_order_sap_sync_work_order_id_work_orders FOREIGN KEY (work_order_id)
        REFERENCES work_orders (id) ON DELETE CASCADE,
    CONSTRAINT ck_work_order_sap_sync_sap_sequence CHECK (sap_sequence >= 0)
);
