"""Access: who may see which spend (scopes) and who may change anything (roles), from data/access.yaml."""

from analytics.access.rules import (
    ALL,
    LOCAL_ADMIN,
    ROLES,
    AccessError,
    AccessRule,
    AccessRules,
    Grant,
    Identity,
    Role,
    Scope,
    check_dimensions,
    default_access_path,
    load_access,
    parse_access,
)

__all__ = [
    "ALL",
    "LOCAL_ADMIN",
    "ROLES",
    "AccessError",
    "AccessRule",
    "AccessRules",
    "Grant",
    "Identity",
    "Role",
    "Scope",
    "check_dimensions",
    "default_access_path",
    "load_access",
    "parse_access",
]
