// Parser for Falco condition expressions (libsinsp filter syntax).
//
// Grammar (EBNF). Precedence: not > and > or. Blanks are [ \t\b\r\n].
//
//   Expr        ::= AndExpr ( 'or' ( BLANK+ AndExpr | '(' Expr ')' ) )*
//   AndExpr     ::= NotExpr ( 'and' ( BLANK+ NotExpr | '(' Expr ')' ) )*
//   NotExpr     ::= ( 'not' BLANK+ )* ( 'not(' Expr ')' | Check )          -- every 'not' toggles
//   Check       ::= '(' Expr ')' | Field Cond | Transformer Cond | Identifier   -- Identifier = macro reference
//   Cond        ::= 'exists'
//                 | NumOp ( Number | TrOrVal )
//                 | StrOp ( StrValue | TrOrVal )
//                 | StrOp Modifier ListValue
//                 | ListOp ( ListValue | TrOrVal )
//   NumOp       ::= '<=' | '<' | '>=' | '>'
//   StrOp       ::= '==' | '=' | '!=' | ( 'glob' | 'iglob' | 'contains' | 'icontains' | 'bcontains'
//                 | 'startswith' | 'bstartswith' | 'endswith' | 'regex' ) BLANK
//   ListOp      ::= 'intersects' | 'in' | 'pmatch'
//   Modifier    ::= ( 'oneof' | 'anyof' | 'allof' ) -- only when '(' or an identifier other than and/or/not follows
//   ListValue   ::= '(' BLANK* [ StrValue ( BLANK* ',' BLANK* StrValue )* ] BLANK* ')'
//                 | Identifier                                                   -- a bare identifier = ONE value
//   Field       ::= FieldName [ '[' ( QuotedStr | FieldArgStr ) ']' ]
//   Transformer ::= TrName '(' BLANK* Arg ( BLANK* ',' BLANK* Arg )* BLANK* ')' [ '[' ( QuotedStr | FieldArgStr ) ']' ]
//   TrName      ::= 'tolower' | 'toupper' | 'b64' | 'basename' | 'len' | 'join' | 'concat' | 'getopt'
//   Arg         ::= Transformer | Field | QuotedStr | Number | '(' BLANK* [ Arg ( BLANK* ',' BLANK* Arg )* ] BLANK* ')'
//   TrOrVal     ::= Transformer | 'val(' BLANK* Field BLANK* ')'                   -- RHS field: field-to-field check
//   Identifier  ::= [a-zA-Z]+ [a-zA-Z0-9_]*
//   FieldName   ::= Identifier ( '.' Identifier )+
//   FieldArgStr ::= [^][\"'\s]+
//   Number      ::= [+-]? [0-9]+ '.'? [0-9]* ( [eE] [+-] [0-9]+ )? | '0' [xX] [0-9a-fA-F]+
//   StrValue    ::= QuotedStr | BareStr
//   BareStr     ::= [^()"'\s=,]+
//   QuotedStr   ::= '"' ( [^"\\] | Escape | '\"' )* '"' | "'" ( [^'\\] | Escape | "\'" )* "'"
//   Escape      ::= '\b' | '\f' | '\n' | '\r' | '\t' | '\\' | '\/' | '\x' HEX HEX | '\ ' (legacy: a backslash)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"
#include "engine/filter/ast.h"

namespace peregrine::engine {

inline constexpr size_t kDefaultMaxDepth = 1000;

/// Where and why parsing failed. `offset` is a byte offset into the condition text.
struct ParseError {
  std::string message;   // e.g. "expected a ')' token"
  size_t offset = 0;
};

/// Parses a condition. On failure the Error message is "<message> at pos <offset>" and, if `detail` is given,
/// it receives the bare message and offset separately.
Result<AstPtr> parse_condition(std::string_view text, size_t max_depth = kDefaultMaxDepth,
                               ParseError* detail = nullptr);

/// Unescapes the inside of a quoted string (without delimiters). `delim` is '"' or '\''.
Result<std::string> unescape_quoted(std::string_view body, char delim);

/// True for the transformer names accepted on the LHS/RHS (not "val").
bool is_transformer_name(std::string_view name);

}  // namespace peregrine::engine
