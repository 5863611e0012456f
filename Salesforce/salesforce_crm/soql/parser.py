"""Text to :class:`~salesforce_crm.soql.ast.Query`, every failure a :class:`SoqlError`."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedToken,
    VisitError,
)

from salesforce_crm.sobjects.values import parse_datetime
from salesforce_crm.soql import ast
from salesforce_crm.soql.errors import SoqlError, located
from salesforce_crm.soql.grammar import GRAMMAR

#: Salesforce refuses longer statements.
MAX_QUERY_LENGTH = 100_000
#: LIMIT's largest value, as Salesforce's.
MAX_LIMIT = 50_000_000
#: Larger numbers are refused rather than compared (they fit no field).
MAX_NUMBER_DIGITS = 18
#: Values in one IN list, and literals in the whole query (each is a bound parameter; the
#: databases cap those at about 32,000 per statement).
MAX_IN_LIST = 1_000
MAX_LITERALS = 10_000
#: How deep parentheses and NOTs may nest, and how many conditions WHERE may hold (SQLite
#: refuses expressions more than 1,000 levels deep, and a chain of ANDs is that deep).
MAX_DEPTH = 50
MAX_CONDITIONS = 300
#: Salesforce's limit on ORDER BY.
MAX_ORDER_BY = 32

#: Words of SOQL that this service does not answer, and how to name them in the error.
_UNSUPPORTED_WORDS = {
    "GROUP": "GROUP BY",
    "HAVING": "HAVING",
    "WITH": "WITH",
    "FOR": "FOR VIEW / FOR REFERENCE / FOR UPDATE",
    "USING": "USING SCOPE",
    "TYPEOF": "TYPEOF",
    "INCLUDES": "INCLUDES",
    "EXCLUDES": "EXCLUDES",
    "ROLLUP": "GROUP BY ROLLUP",
    "CUBE": "GROUP BY CUBE",
    "UPDATE": "UPDATE TRACKING / VIEWSTAT",
}

_PARSER = Lark(GRAMMAR, start="query", parser="lalr", lexer="contextual")

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def parse(soql: str) -> ast.Query:
    """The query ``soql`` stands for. Raises :class:`SoqlError` (``MALFORMED_QUERY``) when it
    is not SOQL, or is SOQL this service does not answer."""
    _check_text(soql)
    try:
        tree = _PARSER.parse(soql)
    except UnexpectedToken as error:
        raise _unexpected(soql, error.line, error.column, error.token) from None
    except UnexpectedCharacters as error:
        position = error.pos_in_stream or 0
        char = soql[position] if position < len(soql) else ""
        raise _malformed(soql, error.line, error.column, f"unexpected token: '{char}'") from None
    except UnexpectedEOF:
        raise SoqlError("MALFORMED_QUERY", "unexpected end of query") from None
    except RecursionError:
        raise SoqlError("MALFORMED_QUERY", "the query is nested too deeply") from None
    except LarkError as error:  # any other parser failure still names the query as malformed
        raise SoqlError("MALFORMED_QUERY", f"unable to parse the query: {error}") from None
    try:
        query = _ToAst(soql).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, SoqlError):
            raise error.orig_exc from None
        if isinstance(error.orig_exc, RecursionError):
            raise SoqlError("MALFORMED_QUERY", "the query is nested too deeply") from None
        raise
    except RecursionError:
        raise SoqlError("MALFORMED_QUERY", "the query is nested too deeply") from None
    assert isinstance(query, ast.Query)
    _check_shape(query)
    return query


def _check_text(soql: str) -> None:
    if not isinstance(soql, str) or not soql.strip():
        raise SoqlError("MALFORMED_QUERY", "the query is empty")
    if len(soql) > MAX_QUERY_LENGTH:
        raise SoqlError(
            "MALFORMED_QUERY",
            f"SOQL statements cannot be longer than {MAX_QUERY_LENGTH:,} characters",
        )
    if "\x00" in soql:
        raise SoqlError("MALFORMED_QUERY", "the query holds a NUL character")
    try:
        soql.encode("utf-8")
    except UnicodeEncodeError:
        raise SoqlError("MALFORMED_QUERY", "the query is not valid Unicode text") from None


def _malformed(soql: str, line: int, column: int, text: str) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", located(soql, line, column, text))


def _unexpected(soql: str, line: int, column: int, token: Token) -> SoqlError:
    if token.type == "$END":
        return SoqlError("MALFORMED_QUERY", "unexpected end of query")
    word = str(token).upper()
    following = soql[token.start_pos or 0 :][:200]
    if word == "(" and re.match(r"\(\s*SELECT\b", following, re.IGNORECASE):
        text = "subqueries (nested SELECT) are not supported here"
    elif word in _UNSUPPORTED_WORDS:
        text = f"{_UNSUPPORTED_WORDS[word]} is not supported here"
    elif word == "SELECT":
        text = "subqueries (nested SELECT) are not supported here"
    elif re.fullmatch(r"(LAST|NEXT|THIS)_\w+|N_\w+", word):
        text = f"date literal {token!s} is not supported here"
    else:
        text = f"unexpected token: '{str(token)[:80]}'"
    return _malformed(soql, line, column, text)


def _check_shape(query: ast.Query) -> None:
    """Limits that keep every query within what the databases bind and nest."""
    if query.limit is not None and query.limit > MAX_LIMIT:
        raise SoqlError("MALFORMED_QUERY", f"LIMIT must be at most {MAX_LIMIT:,}")
    if len(query.order_by) > MAX_ORDER_BY:
        raise SoqlError("MALFORMED_QUERY", f"ORDER BY can list at most {MAX_ORDER_BY} fields")
    if query.where is not None:
        literals = _count_literals(query.where, 0)
        if literals > MAX_LITERALS:
            raise SoqlError(
                "MALFORMED_QUERY", f"the query has more than {MAX_LITERALS:,} values in WHERE"
            )
        if _count_conditions(query.where) > MAX_CONDITIONS:
            raise SoqlError(
                "MALFORMED_QUERY",
                f"WHERE can hold at most {MAX_CONDITIONS} conditions (use IN for lists)",
            )


def _count_literals(condition: ast.Condition, depth: int) -> int:
    if depth > MAX_DEPTH:
        raise SoqlError("MALFORMED_QUERY", f"the query nests more than {MAX_DEPTH} levels deep")
    if isinstance(condition, ast.Comparison):
        return 1
    if isinstance(condition, ast.InList):
        return len(condition.values)
    if isinstance(condition, ast.Not):
        return _count_literals(condition.operand, depth + 1)
    return sum(_count_literals(operand, depth + 1) for operand in condition.operands)


def _count_conditions(condition: ast.Condition) -> int:
    """Comparisons, an IN list counting once (one SQL IN), except for relative date literals
    in it: each is a range of its own."""
    if isinstance(condition, ast.Comparison):
        return 1
    if isinstance(condition, ast.InList):
        return max(1, sum(isinstance(v, ast.DateLiteral) for v in condition.values))
    if isinstance(condition, ast.Not):
        return _count_conditions(condition.operand)
    return sum(_count_conditions(operand) for operand in condition.operands)


def decode_string(raw: str, *, like: bool = False) -> str:
    """The text of a quoted literal (``raw`` without its quotes). In a LIKE pattern ``\\%`` and
    ``\\_`` stay escaped (a literal percent sign or underscore, with ``\\`` as the escape
    character) and a literal backslash becomes ``\\\\``; elsewhere they are the characters."""
    out: list[str] = []
    index = 0
    while index < len(raw):
        char = raw[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        escaped = raw[index + 1] if index + 1 < len(raw) else ""
        if escaped in _ESCAPES:
            decoded = _ESCAPES[escaped]
            out.append("\\\\" if like and decoded == "\\" else decoded)
            index += 2
        elif escaped in "%_" and escaped:
            out.append("\\" + escaped if like else escaped)
            index += 2
        elif escaped == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", raw[index + 2 : index + 6]):
            code = chr(int(raw[index + 2 : index + 6], 16))
            if code == "\x00" or 0xD800 <= ord(code) <= 0xDFFF:
                raise SoqlError("MALFORMED_QUERY", "a string literal holds an invalid character")
            out.append(code)
            index += 6
        else:
            raise SoqlError(
                "MALFORMED_QUERY",
                f"Invalid string literal '{raw[:80]}'. Illegal character sequence "
                f"'\\{escaped}' in string literal.",
            )
    return "".join(out)


@v_args(inline=True)
class _ToAst(Transformer[Token, Any]):
    def __init__(self, soql: str):
        super().__init__()
        self._soql = soql

    def query(self, select: Any, sobject: Token, *clauses: Any) -> ast.Query:
        count, fields = select
        options: dict[str, Any] = {}
        for clause in clauses:
            if clause is not None:
                options.update(clause)
        return ast.Query(
            fields=fields,
            count=count,
            sobject=str(sobject),
            sobject_line=sobject.line or 1,
            sobject_column=sobject.column or 1,
            **options,
        )

    def select_list(self, *items: Any) -> tuple[bool, tuple[ast.FieldPath, ...]]:
        count = [item for item in items if isinstance(item, ast.CountAll)]
        fields = tuple(item for item in items if isinstance(item, ast.FieldPath))
        if count and (fields or len(count) > 1):
            raise SoqlError(
                "MALFORMED_QUERY", "COUNT() must be the only element in the SELECT list"
            )
        seen: set[str] = set()
        for path in fields:
            key = path.text.lower()
            if key in seen:
                raise SoqlError("MALFORMED_QUERY", f"duplicate field selected: {path.text}")
            seen.add(key)
        return bool(count), fields

    def function_call(self, name: Token, *arguments: Any) -> ast.CountAll:
        given = [argument for argument in arguments if argument is not None]
        if str(name).upper() == "COUNT" and not given:
            return ast.CountAll()
        shown = f"{name}({', '.join(a.text for a in given)})"
        raise _malformed(
            self._soql,
            name.line or 1,
            name.column or 1,
            f"{shown}: aggregate and other functions are not supported here (only COUNT())",
        )

    def field_path(self, *names: Token) -> ast.FieldPath:
        first = names[0]
        return ast.FieldPath(tuple(str(n) for n in names), first.line or 1, first.column or 1)

    def where_clause(self, condition: ast.Condition) -> dict[str, Any]:
        return {"where": condition}

    def and_chain(self, *operands: ast.Condition) -> ast.And:
        return ast.And(operands)

    def or_chain(self, *operands: ast.Condition) -> ast.Or:
        return ast.Or(operands)

    def negation(self, operand: ast.Condition) -> ast.Not:
        return ast.Not(operand)

    def comparison(self, field: ast.FieldPath, operator: Token, value: ast.Value) -> ast.Comparison:
        symbol = "!=" if str(operator) == "<>" else str(operator)
        return ast.Comparison(field, symbol, value)  # type: ignore[arg-type]

    def like(self, field: ast.FieldPath, value: ast.Value) -> ast.Comparison:
        return ast.Comparison(field, "LIKE", value)

    def in_list(self, field: ast.FieldPath, values: tuple[ast.Value, ...]) -> ast.InList:
        return ast.InList(field, values, negated=False)

    def not_in_list(self, field: ast.FieldPath, values: tuple[ast.Value, ...]) -> ast.InList:
        return ast.InList(field, values, negated=True)

    def value_list(self, *values: ast.Value) -> tuple[ast.Value, ...]:
        if len(values) > MAX_IN_LIST:
            raise SoqlError(
                "MALFORMED_QUERY", f"an IN list may hold at most {MAX_IN_LIST:,} values"
            )
        return values

    def string(self, token: Token) -> ast.StringValue:
        raw = str(token)[1:-1]
        decode_string(raw, like=True)  # refuses bad escapes wherever the string is used
        return ast.StringValue(raw)

    def number(self, token: Token) -> ast.NumberValue:
        text = str(token)
        digits = text.lstrip("+-").split(".")[0].lstrip("0")
        if len(digits) > MAX_NUMBER_DIGITS or len(text) > 60:
            raise _malformed(
                self._soql, token.line or 1, token.column or 1, f"number out of range: {text[:40]}"
            )
        return ast.NumberValue(decimal.Decimal(text))

    def null(self) -> ast.NullValue:
        return ast.NullValue()

    def true(self) -> ast.BooleanValue:
        return ast.BooleanValue(True)

    def false(self) -> ast.BooleanValue:
        return ast.BooleanValue(False)

    def date(self, token: Token) -> ast.DateValue:
        try:
            return ast.DateValue(dt.date.fromisoformat(str(token)))
        except ValueError:
            raise self._bad_date(token) from None

    def datetime(self, token: Token) -> ast.DateTimeValue:
        try:
            return ast.DateTimeValue(parse_datetime(str(token)))
        except (ValueError, OverflowError):
            raise self._bad_date(token) from None

    def date_literal(self, token: Token) -> ast.DateLiteral:
        return ast.DateLiteral(str(token).upper())

    def date_n_literal(self, token: Token) -> ast.DateLiteral:
        name, _, count = str(token).partition(":")
        if len(count) > 6:
            raise _malformed(
                self._soql, token.line or 1, token.column or 1, f"{name}: n is out of range"
            )
        return ast.DateLiteral(name.upper(), int(count))

    def _bad_date(self, token: Token) -> SoqlError:
        return _malformed(
            self._soql, token.line or 1, token.column or 1, f"invalid date: {str(token)[:40]}"
        )

    def order_clause(self, *items: ast.OrderItem) -> dict[str, Any]:
        return {"order_by": items}

    def order_item(self, field: ast.FieldPath, *modifiers: Any) -> ast.OrderItem:
        descending = False
        nulls_first: bool | None = None
        for modifier in modifiers:
            if isinstance(modifier, Token):
                descending = str(modifier).upper() == "DESC"
            elif isinstance(modifier, bool):
                nulls_first = modifier
        return ast.OrderItem(field, descending, nulls_first)

    def nulls(self, position: Token) -> bool:
        return str(position).upper() == "FIRST"

    def limit_clause(self, token: Token) -> dict[str, Any]:
        return {"limit": self._bounded(token, "LIMIT")}

    def offset_clause(self, token: Token) -> dict[str, Any]:
        return {"offset": self._bounded(token, "OFFSET")}

    def _bounded(self, token: Token, clause: str) -> int:
        text = str(token).lstrip("0") or "0"
        if len(text) > 12:
            raise _malformed(
                self._soql, token.line or 1, token.column or 1, f"{clause} is out of range"
            )
        return int(text)


__all__ = ["Tree", "decode_string", "parse"]
