"""SOQL's grammar (the subset this service answers), for lark's LALR parser.

Keywords are case-insensitive. AND and OR cannot be mixed without parentheses, as in
Salesforce (``a AND b OR c`` is refused). Dates and date-times outrank numbers in the lexer,
so ``2026-12-08`` is one date, not 2026 minus 12 minus 8.
"""

#: The relative date literals without a count (those with one are ``LAST_N_DAYS:n`` …).
DATE_WORDS = (
    "TODAY",
    "YESTERDAY",
    "TOMORROW",
    "THIS_MONTH",
    "LAST_MONTH",
    "NEXT_MONTH",
    "THIS_YEAR",
    "LAST_YEAR",
    "NEXT_YEAR",
)

_GRAMMAR = r"""
query: _SELECT select_list _FROM NAME where_clause? order_clause? limit_clause? offset_clause?

select_list: select_item ("," select_item)*
?select_item: field_path
            | function_call
function_call: NAME "(" [field_path ("," field_path)*] ")"
field_path: NAME ("." NAME)*

where_clause: _WHERE condition
?condition: and_chain
          | or_chain
          | not_condition
and_chain: not_condition (_AND not_condition)+
or_chain: not_condition (_OR not_condition)+
?not_condition: _NOT not_condition -> negation
              | "(" condition ")"
              | predicate
?predicate: field_path OPERATOR value -> comparison
          | field_path _LIKE value -> like
          | field_path _IN value_list -> in_list
          | field_path _NOT _IN value_list -> not_in_list
value_list: "(" value ("," value)* ")"
?value: STRING -> string
      | NUMBER -> number
      | _NULL -> null
      | _TRUE -> true
      | _FALSE -> false
      | DATETIME -> datetime
      | DATE -> date
      | DATE_LITERAL -> date_literal
      | DATE_N_LITERAL -> date_n_literal

order_clause: _ORDER _BY order_item ("," order_item)*
order_item: field_path DIRECTION? nulls?
nulls: _NULLS NULLS_POSITION

limit_clause: _LIMIT INTEGER
offset_clause: _OFFSET INTEGER

_SELECT: "SELECT"i
_FROM: "FROM"i
_WHERE: "WHERE"i
_AND: "AND"i
_OR: "OR"i
_NOT: "NOT"i
_LIKE: "LIKE"i
_IN: "IN"i
_NULL: "NULL"i
_TRUE: "TRUE"i
_FALSE: "FALSE"i
_ORDER: "ORDER"i
_BY: "BY"i
_NULLS: "NULLS"i
_LIMIT: "LIMIT"i
_OFFSET: "OFFSET"i
DIRECTION: "ASC"i | "DESC"i
NULLS_POSITION: "FIRST"i | "LAST"i

OPERATOR: "=" | "!=" | "<>" | "<=" | ">=" | "<" | ">"
NAME: /[A-Za-z][A-Za-z0-9_]*/
STRING: /'(?:[^'\\]|\\.)*'/s
DATETIME.3: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})(?![A-Za-z0-9_])/
DATE.2: /\d{4}-\d{2}-\d{2}(?![A-Za-z0-9_:])/
DATE_N_LITERAL.2: /(?i:LAST_N_DAYS|NEXT_N_DAYS|LAST_N_MONTHS|NEXT_N_MONTHS):\d+(?![A-Za-z0-9_])/
DATE_LITERAL.2: /(?i:DATE_WORDS)(?![A-Za-z0-9_:])/
INTEGER: /\d+/
NUMBER: /[+-]?(\d+(\.\d*)?|\.\d+)(?![A-Za-z0-9_])/

%ignore /[ \t\r\n\f]+/
"""

GRAMMAR = _GRAMMAR.replace("DATE_WORDS", "|".join(DATE_WORDS))
