namespace OnnxLlm.Templates;

/// <summary>Kinds of lexical tokens; tag delimiters are separate tokens so the parser sees statement boundaries.</summary>
internal enum TokenKind
{
    /// <summary>Literal template text, already whitespace-controlled.</summary>
    Data,
    /// <summary><c>{{</c></summary>
    VariableBegin,
    /// <summary><c>}}</c></summary>
    VariableEnd,
    /// <summary><c>{%</c></summary>
    BlockBegin,
    /// <summary><c>%}</c></summary>
    BlockEnd,
    /// <summary>Identifier or keyword (keywords are contextual in Jinja2, so they stay names).</summary>
    Name,
    /// <summary>String literal, escapes already decoded.</summary>
    String,
    /// <summary>Integer literal.</summary>
    Integer,
    /// <summary>Float literal.</summary>
    Float,
    /// <summary>Operator or punctuation; <see cref="Token.Value"/> holds its text.</summary>
    Operator,
    /// <summary>End of the template.</summary>
    Eof,
}

/// <summary>One lexical token with its source position (1-based line and column) for error messages.</summary>
internal readonly record struct Token(TokenKind Kind, string Value, int Line, int Column)
{
    /// <summary>True when this is the operator <paramref name="op"/>.</summary>
    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;

    /// <summary>True when this is the name (or contextual keyword) <paramref name="name"/>.</summary>
    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    /// <summary>Short human-readable description for syntax errors.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.Data => "template data",
        TokenKind.VariableBegin => "'{{'",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockBegin => "'{%'",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.String => "string literal",
        _ => $"'{Value}'",
    };
}
