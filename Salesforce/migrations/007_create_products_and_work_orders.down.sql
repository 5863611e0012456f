-- 007 create products and work orders: undo. Every product, work order and line item is lost.

DROP TABLE work_order_line_items;
DROP TABLE work_orders;
DROP TABLE products;
