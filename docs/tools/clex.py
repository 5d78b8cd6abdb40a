# clex.py: a small C lexer and the splitter that turns a C file into docco-style sections.
#
# Only what the annotated source needs: tokens good enough to tell comments from strings from
# code (so "/*" inside a string is not a comment), brace depth (so only top-level comments
# become prose), preprocessor lines, and the `// region:` tags that lesson excerpts use.

import re

TOKEN_RE = re.compile(r'''
  (?P<bc>/\*.*?(?:\*/|\Z))                              # block comment (unterminated: to EOF)
| (?P<lc>//(?:[^\n\\]|\\.|\\\n)*)                       # line comment; backslash-newline continues it
| (?P<str>(?:u8|u|U|L)?"(?:[^"\\\n]|\\.|\\\n)*"?)      # string literal
| (?P<chr>(?:u|U|L)?'(?:[^'\\\n]|\\.)*'?)               # character constant
| (?P<nl>\n)
| (?P<ws>(?:[ \t\r\f\v]|\\\n)+)                         # blanks, and line splices
| (?P<num>\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.'])*)       # pp-number
| (?P<id>[A-Za-z_][A-Za-z_0-9]*)
| (?P<op>.)
''', re.S | re.X)

KEYWORDS = set('''
auto break case const continue default do else enum extern for goto if inline register restrict
return sizeof static struct switch typedef union volatile while _Alignas _Alignof _Atomic
_Generic _Noreturn _Static_assert _Thread_local alignas alignof static_assert thread_local
noreturn true false NULL
'''.split())
TYPES = set('''
void char short int long float double signed unsigned _Bool bool size_t ssize_t ptrdiff_t
intptr_t uintptr_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t off_t
pid_t pthread_t FILE va_list jmp_buf sigjmp_buf socklen_t
'''.split())

REGION_RE = re.compile(r'^//\s*region:\s*(\S+)')
ENDREGION_RE = re.compile(r'^//\s*endregion\b')


class Tok:
    __slots__ = ('kind', 'text', 'line', 'end_line', 'pp', 'depth', 'role')

    def __init__(self, kind, text, line):
        self.kind = kind
        self.text = text
        self.line = line                       # first line (0-based)
        self.end_line = line + text.count('\n')
        self.pp = False                        # inside a preprocessor directive
        self.depth = 0                         # brace depth before this token
        self.role = None                       # 'ppkw', 'header', 'doc', 'hidden', 'region'


def lex(src):
    """lex: the tokens of src, with line numbers, directive marks and brace depth."""
    toks = []
    line = 0
    for m in TOKEN_RE.finditer(src):
        kind = m.lastgroup
        t = Tok(kind, m.group(), line)
        toks.append(t)
        line = t.end_line
    # Directives: a '#' first on its line opens one; it runs to the next unspliced newline.
    depth = 0
    at_line_start = True
    in_pp = False
    expect = None                              # 'name' after '#', 'header' after #include
    for t in toks:
        if t.kind == 'nl':
            in_pp = False
            expect = None
            at_line_start = True
            t.depth = depth
            continue
        if t.kind == 'ws' or t.kind in ('bc', 'lc'):
            t.pp = in_pp
            t.depth = depth
            continue
        if at_line_start and t.kind == 'op' and t.text == '#':
            in_pp = True
            expect = 'name'
        at_line_start = False
        t.pp = in_pp
        t.depth = depth
        if in_pp:
            if expect == 'name' and t.kind == 'id':
                t.role = 'ppkw'
                expect = 'header' if t.text in ('include', 'include_next') else None
            elif expect == 'header':
                if t.kind == 'str':
                    t.role = 'header'
                expect = None
            continue
        if t.kind == 'op':
            if t.text == '{':
                depth += 1
            elif t.text == '}':
                depth = max(0, depth - 1)
    return toks


def comment_text(tok):
    """comment_text: the words of a comment without its /* */ or // and the ' * ' gutter."""
    s = tok.text
    if tok.kind == 'lc':
        lines = [re.sub(r'^//+ ?', '', x) for x in s.split('\n')]
        return '\n'.join(lines)
    body = s[2:]
    if body.endswith('*/'):
        body = body[:-2]
    lines = body.split('\n')
    first = lines[0].strip()
    rest = lines[1:]
    gutter = [x for x in rest if x.strip()]
    if gutter and all(re.match(r'^\s*\*(?!/)', x) for x in gutter):
        rest = [re.sub(r'^\s*\* ?', '', x) if x.strip() else '' for x in rest]
    else:
        ind = min((len(x) - len(x.lstrip()) for x in gutter), default=0)
        rest = [x[ind:] for x in rest]
    out = ([first] if first else []) + [x.rstrip() for x in rest]
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return '\n'.join(out)


def is_divider(text):
    """is_divider: a comment that is only a rule of dashes, equals or stars."""
    t = text.strip()
    return len(t) >= 3 and re.fullmatch(r'[-=*_#~ ]+', t) is not None


def split_sections(src):
    """split_sections: the file as [{'docs': [text], 'code': [[tok...]], 'anchors': [...]}].

    A comment becomes prose when it stands alone on its lines at brace depth 0 outside a
    directive; every other comment stays in the code, where it was written. `// region:` and
    `// endregion` lines vanish; a region leaves an anchor 'region-NAME' on what follows it.
    """
    toks = lex(src)
    nlines = src.count('\n') + 1
    lines = [[] for _ in range(nlines + 1)]
    for t in toks:
        lines[t.line].append(t)

    def alone(i, t):
        """alone: t is the only non-blank token on its first line and its last line."""
        before = [x for x in lines_end[t.line] if x is not t and x.kind not in ('ws', 'nl')
                  and toks_index[id(x)] < toks_index[id(t)]]
        after = [x for x in lines_end[t.end_line] if x is not t and x.kind not in ('ws', 'nl')
                 and toks_index[id(x)] > toks_index[id(t)]]
        return not before and not after

    toks_index = {id(t): i for i, t in enumerate(toks)}
    # tokens that touch each line (a multi-line token touches its last line too)
    lines_end = [[] for _ in range(nlines + 1)]
    for t in toks:
        for ln in range(t.line, t.end_line + 1):
            lines_end[ln].append(t)

    line_kind = ['code'] * (nlines + 1)        # code | blank | doc | skip
    doc_at = {}                                # first line -> comment token
    region_at = {}                             # line -> region name (hidden lines)
    trailing_regions = {}
    for i, t in enumerate(toks):
        if t.kind not in ('bc', 'lc'):
            continue
        text = t.text
        is_tag = t.kind == 'lc' and (REGION_RE.match(text) or ENDREGION_RE.match(text))
        if is_tag:
            m = REGION_RE.match(text)
            if alone(i, t):
                line_kind[t.line] = 'skip'
                if m:
                    region_at[t.line] = m.group(1)
            else:
                t.role = 'hidden'
                if m:
                    trailing_regions[t.line] = m.group(1)
            continue
        if t.depth == 0 and not t.pp and alone(i, t):
            t.role = 'doc'
            doc_at[t.line] = t
            for ln in range(t.line, t.end_line + 1):
                line_kind[ln] = 'doc'
    for ln in range(nlines):
        if line_kind[ln] == 'code':
            # lines_end: a line holding only the middle of a multi-line comment is not blank
            if all(x.kind in ('ws', 'nl') or x.role == 'hidden' for x in lines_end[ln]):
                line_kind[ln] = 'blank'

    # Code lines as token fragments: split multi-line tokens at newlines.
    code_frags = [[] for _ in range(nlines + 1)]
    for t in toks:
        if t.kind == 'nl' or t.role in ('doc', 'hidden'):
            continue
        parts = t.text.split('\n')
        for k, p in enumerate(parts):
            if p:
                code_frags[t.line + k].append((t, p))

    sections = []
    cur = {'docs': [], 'code': [], 'anchors': []}
    pending = []

    def flush():
        nonlocal cur
        while cur['code'] and cur['code'][-1] is None:
            cur['code'].pop()
        if cur['docs'] or cur['code'] or cur['anchors']:
            sections.append(cur)
        cur = {'docs': [], 'code': [], 'anchors': []}

    for ln in range(nlines):
        k = line_kind[ln]
        if k == 'skip':
            if ln in region_at:
                pending.append('region-' + region_at[ln])
            continue
        if k == 'doc':
            t = doc_at.get(ln)
            if t is None:
                continue
            if any(c is not None for c in cur['code']):
                flush()
            cur['code'] = []
            cur['anchors'] += pending
            pending = []
            cur['docs'].append(comment_text(t))
            continue
        if k == 'blank':
            if cur['code']:
                cur['code'].append(None)
            continue
        anchors = pending + (['region-' + trailing_regions[ln]] if ln in trailing_regions else [])
        pending = []
        cur['code'].append((ln + 1, code_frags[ln], anchors))
    if pending:
        cur['anchors'] += pending
    flush()
    return sections
