from jingzhi.core.models.accounts import RoleAssignment, User
from jingzhi.core.models.audit import AuditEntry
from jingzhi.core.models.places import Place

__all__ = ["AuditEntry", "Place", "RoleAssignment", "User"]
