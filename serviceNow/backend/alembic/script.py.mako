<%!
    def docstring_text(text):
        """The message as text inside the file's triple-quoted docstring: backslashes and
        quotes escaped, so it can neither end the docstring nor form an escape; newlines kept,
        other control characters escaped, so the docstring reads as it was typed."""
        out = []
        text = str(text)  # None without -m, rendered as Alembic renders it
        for char in text:
            if char in '\\"':
                out.append("\\" + char)
            elif char == "\n":
                out.append(char)
            elif ord(char) < 32 or ord(char) == 127:
                out.append(repr(char)[1:-1])
            else:
                out.append(char)
        return "".join(out)
%>"""${docstring_text(message)}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}

revision: str = ${repr(up_revision)}
down_revision: str | Sequence[str] | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
