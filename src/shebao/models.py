"""Every context's tables, imported so that Alembic and the tests see one metadata."""

from shebao.accounts import models as _accounts  # noqa: F401
from shebao.cards import models as _cards  # noqa: F401
from shebao.contributions import models as _contributions  # noqa: F401
from shebao.core import audit as _audit  # noqa: F401
from shebao.core import runs as _runs  # noqa: F401
from shebao.core.db import Base
from shebao.enrollment import models as _enrollment  # noqa: F401
from shebao.ledger import models as _ledger  # noqa: F401
from shebao.payouts import models as _payouts  # noqa: F401
from shebao.registry import models as _registry  # noqa: F401

metadata = Base.metadata
from shebao.benefits import models as _benefits  # noqa: F401
from shebao.comparison import models as _comparison  # noqa: F401
from shebao.risk import models as _risk  # noqa: F401
from shebao.transfers import models as _transfers  # noqa: F401
