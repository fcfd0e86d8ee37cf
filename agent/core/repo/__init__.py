"""Repository functions: keyword-only, and every query of user data is scoped to its ``user_id``. A row that
exists but belongs to someone else is reported exactly like a missing row (:class:`NotFound`).

One module per aggregate (users, brand, memories, drafts, approvals, accounts, metrics, slack; assets in
:mod:`agent.core.repo.assets`); this package re-exports their functions so callers write ``repo.get_draft``.
"""

from agent.core.repo.accounts import (
    account_credentials,
    add_platform_account,
    get_platform_account,
    list_platform_accounts,
    rotate_credentials,
)
from agent.core.repo.approvals import (
    list_approvals,
    record_approval,
)
from agent.core.repo.base import owned
from agent.core.repo.brand import (
    get_brand_profile,
    update_brand_profile,
)
from agent.core.repo.drafts import (
    create_draft,
    get_draft,
    list_drafts,
    set_draft_variant_group,
    update_draft,
    variant_group_of,
)
from agent.core.repo.memories import (
    MAX_MEMORIES_PER_USER,
    MAX_MEMORY_CHARS,
    add_memory,
    delete_memory,
    list_memories,
)
from agent.core.repo.metrics import (
    MAX_METRIC_ROWS_PER_USER,
    add_metric_rows,
    get_metric_row,
    list_metric_rows,
)
from agent.core.repo.slack import (
    SLACK_LINK_ALPHABET,
    SLACK_LINK_CODE_LEN,
    SLACK_LINK_TTL_S,
    delete_slack_installation,
    find_slack_installation,
    issue_slack_link_code,
    redeem_slack_link_code,
    save_slack_installation,
    slack_external_id,
    slack_user,
)
from agent.core.repo.users import (
    authenticate,
    count_users,
    create_user,
    find_user_by_email,
    get_or_create_identity_user,
    get_user,
    link_identity,
    normalize_email,
    set_password,
)

__all__ = [
    "MAX_MEMORIES_PER_USER",
    "MAX_MEMORY_CHARS",
    "MAX_METRIC_ROWS_PER_USER",
    "SLACK_LINK_ALPHABET",
    "SLACK_LINK_CODE_LEN",
    "SLACK_LINK_TTL_S",
    "account_credentials",
    "add_memory",
    "add_metric_rows",
    "add_platform_account",
    "authenticate",
    "count_users",
    "create_draft",
    "create_user",
    "delete_memory",
    "delete_slack_installation",
    "find_slack_installation",
    "find_user_by_email",
    "get_brand_profile",
    "get_draft",
    "get_metric_row",
    "get_or_create_identity_user",
    "get_platform_account",
    "get_user",
    "issue_slack_link_code",
    "link_identity",
    "list_approvals",
    "list_drafts",
    "list_memories",
    "list_metric_rows",
    "list_platform_accounts",
    "normalize_email",
    "owned",
    "record_approval",
    "redeem_slack_link_code",
    "rotate_credentials",
    "save_slack_installation",
    "set_draft_variant_group",
    "set_password",
    "slack_external_id",
    "slack_user",
    "update_brand_profile",
    "update_draft",
    "variant_group_of",
]
