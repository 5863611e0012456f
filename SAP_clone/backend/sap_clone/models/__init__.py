"""SAP_clone's models; ``Base.metadata`` is what Alembic compares the migrations against."""

from sap_clone.models.auth import AUTH
from sap_clone.models.base import Base
from sap_clone.models.core import AuditEntry, Ticket
from sap_clone.models.fi import Approval, CostCenter, CostEntry
from sap_clone.models.messaging import MESSAGING
from sap_clone.models.mm import Material, Requisition, StockTransaction
from sap_clone.models.password_reset import PasswordResetTicket
from sap_clone.models.pm import Asset, Incident, MaintenanceOrder
from sap_clone.models.pm_workflow import (
    WorkflowComponent,
    WorkflowConfirmation,
    WorkflowCostSummary,
    WorkflowDocumentFlow,
    WorkflowGoodsIssue,
    WorkflowGoodsReceipt,
    WorkflowMaintenanceOrder,
    WorkflowMalfunctionReport,
    WorkflowOperation,
    WorkflowPurchaseOrder,
)
from sap_clone.models.users import User, UserRole
from sap_clone.models.work_orders import CrmWorkOrder, WorkOrderFlowHistory, WorkOrderMaterial

__all__ = [
    "AUTH",
    "MESSAGING",
    "Approval",
    "Asset",
    "AuditEntry",
    "Base",
    "CostCenter",
    "CostEntry",
    "CrmWorkOrder",
    "Incident",
    "MaintenanceOrder",
    "Material",
    "PasswordResetTicket",
    "Requisition",
    "StockTransaction",
    "Ticket",
    "User",
    "UserRole",
    "WorkOrderFlowHistory",
    "WorkOrderMaterial",
    "WorkflowComponent",
    "WorkflowConfirmation",
    "WorkflowCostSummary",
    "WorkflowDocumentFlow",
    "WorkflowGoodsIssue",
    "WorkflowGoodsReceipt",
    "WorkflowMaintenanceOrder",
    "WorkflowMalfunctionReport",
    "WorkflowOperation",
    "WorkflowPurchaseOrder",
]
