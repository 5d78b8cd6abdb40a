#!/usr/bin/env python3
# gen_docs.py: builds the documentation site -- annotated source, lessons, docs, bench report.
#
#   python3 docs/tools/gen_docs.py --out build/docs      (run from the repository root)
#
# Every .c/.h file of common/ and runtimes/ (examples included) becomes a two-column page:
# the comments that stand alone at the top level on the left as prose, the code on the right.
# Markdown (README.md, docs/*.md, the lessons, bench/*.md) goes through cmark-gfm; its links
# are rewritten to the pages of this site. docs/annotated-source.md says why it is built so.
# Standard library only (plus the cmark-gfm program); what it picks up is found by globbing,
# so new files and lessons appear without any change here.

import argparse
import glob
import html
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True          # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clex  # noqa: E402

SITE_TITLE = 'async runtimes in C'
SOURCE_GLOBS = ['common/*.c', 'common/*.h', 'runtimes/*/*.c', 'runtimes/*/*.h',
                'runtimes/*/examples/*.c', 'runtimes/*/examples/*.h',
                'lessons/[0-9][0-9]-*/*.c', 'lessons/[0-9][0-9]-*/*.h',
                'lessons/[0-9][0-9]-*/solution/*.c', 'lessons/[0-9][0-9]-*/solution/*.h']
MARKDOWN_GLOBS = ['README.md', 'docs/*.md', 'lessons/README.md', 'lessons/[0-9][0-9]-*/README.md',
                  'runtimes/README.md', 'bench/*.md']
# Where a bare file name such as `rt_task.c` is looked for, in this order.
SEARCH_DIRS = ['common', 'runtimes/tokio', 'runtimes/asyncstd', 'runtimes/tokio/examples',
               'runtimes/asyncstd/examples', 'tests/unit', 'bench/harness', 'bench/impl']
MAX_ASSET = 4 << 20

warnings = []


def warn(msg):
    warnings.append(msg)
    print('docs: warning: ' + msg, file=sys.stderr)


def esc(s):
    return html.escape(s, quote=True)


def read(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return f.read()


def site_path(rp):
    """site_path: where the repository file rp lives in the site (None: not part of it)."""
    if rp.endswith(('.c', '.h')):
        return rp + '.html'
    if rp.endswith('.md'):
        return rp[:-3] + '.html'
    return rp


def rel(from_page, to_page):
    """rel: the relative URL from one site page to another."""
    r = os.path.relpath(to_page, os.path.dirname(from_page) or '.')
    return r.replace(os.sep, '/')


def slugify(text, used):
    """slugify: GitHub's heading anchor: lower case, punctuation gone, spaces to hyphens."""
    s = text.strip().lower()
    s = re.sub(r'[^\w\- ]', '', s, flags=re.U)
    s = s.replace(' ', '-')
    base = s or 'section'
    s = base
    n = 1
    while s in used:
        s = '%s-%d' % (base, n)
        n += 1
    used.add(s)
    return s


class Site:
    def __init__(self, root, out):
        self.root = root
        self.out = out
        self.sources = []          # repo paths of annotated files
        self.markdown = []         # repo paths of markdown pages
        self.queue_src = set()
        self.queue_md = set()
        self.assets = set()
        self.symbols = {}          # contract name -> [(page, id)]
        self.banners = {}          # repo path -> banner text
        self.titles = {}           # repo path -> title
        self.parsed = {}           # repo path -> sections
        self.order = []            # reading order of the annotated pages (repo paths)

    # --- discovery -------------------------------------------------------------------------
    def exists(self, rp):
        return os.path.isfile(os.path.join(self.root, rp))

    def isdir(self, rp):
        return os.path.isdir(os.path.join(self.root, rp))

    def glob(self, pats):
        out = []
        for p in pats:
            for f in sorted(glob.glob(os.path.join(self.root, p))):
                if os.path.isfile(f):
                    out.append(os.path.relpath(f, self.root).replace(os.sep, '/'))
        return out

    def resolve_name(self, name, base_dir=None):
        """resolve_name: a file named in prose (`rt_task.c`, common/rt_task.c) -> repo path."""
        name = name.strip()
        if not name or name.startswith(('/', 'http:', 'https:')) or '*' in name:
            return None
        cands = []
        if base_dir is not None:
            cands.append(os.path.normpath(os.path.join(base_dir, name)))
        cands.append(os.path.normpath(name))
        if '/' not in name:
            cands += [d + '/' + name for d in SEARCH_DIRS]
        for c in cands:
            c = c.replace(os.sep, '/')
            if not c.startswith('..') and self.exists(c):
                return c
        return None

    # --- annotated source ------------------------------------------------------------------
    def parse_sources(self):
        for rp in self.sources:
            secs = clex.split_sections(read(os.path.join(self.root, rp)))
            self.parsed[rp] = secs
            used = set()
            page = site_path(rp)
            for i, s in enumerate(secs):
                sid = None
                if s['docs']:
                    m = re.match(r'^\s*([A-Za-z_][A-Za-z_0-9]*)(?:\(\))?:', s['docs'][0])
                    if m and i > 0:
                        sid = m.group(1)
                        self.symbols.setdefault(sid, []).append((page, sid, rp))
                if not sid or sid in used:
                    sid = 'section-%d' % (i + 1)
                used.add(sid)
                s['id'] = sid
            if secs and secs[0]['docs']:
                first = secs[0]['docs'][0].split('\n\n')[0].replace('\n', ' ').strip()
                m = re.match(r'^[\w./-]+\s*:\s*(.*)$', first)
                self.banners[rp] = (m.group(1) if m else first)
            else:
                self.banners[rp] = ''

    def symbol(self, name):
        """symbol: the unique page#id defining `name`, preferring a .c file's contract."""
        hits = self.symbols.get(name)
        if not hits:
            return None
        hits = list(dict.fromkeys(hits))
        cs = [h for h in hits if h[2].endswith('.c')]
        pick = cs if cs else hits
        if len(pick) != 1:
            return None
        return pick[0][0] + '#' + pick[0][1]

    def link_name(self, text, page, base_dir, allow_symbol=True):
        """link_name: the site URL a code span's text names (a file or a function), or None."""
        t = text.strip()
        anchor = ''
        if re.fullmatch(r'[\w./-]+\.[ch]', t):
            rp = self.resolve_name(t, base_dir)
            if rp and (rp in self.sources or rp in self.queue_src):
                self.queue_src.add(rp)
                target = site_path(rp)
                return None if target == page else rel(page, target)
            return None
        m = re.fullmatch(r'([A-Za-z_][A-Za-z_0-9]*)(\(\))?', t)
        if allow_symbol and m and ('_' in m.group(1)):
            hit = self.symbol(m.group(1))
            if hit:
                target, anchor = hit.split('#')
                if target == page:
                    return '#' + anchor
                return rel(page, target) + '#' + anchor
        return None

    def inline(self, text, page, base_dir):
        """inline: one prose paragraph, escaped, with `code` spans and file names linked."""
        out = []
        pos = 0
        for m in re.finditer(r'`([^`\n]+)`', text):
            out.append(self.bare_links(esc(text[pos:m.start()]), page, base_dir))
            code = m.group(1)
            url = self.link_name(code, page, base_dir)
            c = '<code>%s</code>' % esc(code)
            out.append('<a href="%s">%s</a>' % (esc(url), c) if url else c)
            pos = m.end()
        out.append(self.bare_links(esc(text[pos:]), page, base_dir))
        return ''.join(out)

    def bare_links(self, s, page, base_dir):
        def sub(m):
            url = self.link_name(m.group(0), page, base_dir, allow_symbol=False)
            return '<a href="%s">%s</a>' % (esc(url), m.group(0)) if url else m.group(0)
        return re.sub(r'(?<![\w/.-])[\w/-]+\.[ch](?![\w])', sub, s)

    def prose(self, docs, page, base_dir):
        """prose: comment texts -> HTML: paragraphs, lists, indented blocks as preformatted."""
        parts = []
        i = 0
        texts = list(docs)
        # A short comment between two rules of dashes is a heading.
        while i < len(texts):
            t = texts[i]
            if clex.is_divider(t):
                if (i + 2 < len(texts) and clex.is_divider(texts[i + 2])
                        and '\n' not in texts[i + 1].strip() and len(texts[i + 1]) < 80):
                    parts.append('<h2>%s</h2>' % self.inline(texts[i + 1].strip(), page, base_dir))
                    i += 3
                    continue
                i += 1
                continue
            lines = [ln for ln in t.split('\n') if not clex.is_divider(ln)]
            parts.append(self.blocks(lines, page, base_dir))
            i += 1
        return '\n'.join(p for p in parts if p)

    def blocks(self, lines, page, base_dir):
        out = []
        paras = []
        cur = []
        for ln in lines:
            if ln.strip():
                cur.append(ln)
            elif cur:
                paras.append(cur)
                cur = []
        if cur:
            paras.append(cur)
        pre_run = []                   # indented paragraphs in a row: one block, blank lines kept

        def end_pre():
            if pre_run:
                ind = min(len(x) - len(x.lstrip()) for x in pre_run if x)
                out.append('<pre>%s</pre>' % esc('\n'.join(x[ind:] for x in pre_run)))
                pre_run.clear()
        for p in paras:
            if all(len(x) - len(x.lstrip()) >= 2 for x in p):
                if pre_run:
                    pre_run.append('')
                pre_run.extend(p)
                continue
            end_pre()
            items = []
            head = []
            pre = []
            for x in p:
                if re.match(r'^\s*(?:[-*]|\d+[.)])\s+', x):
                    items.append([re.sub(r'^\s*(?:[-*]|\d+[.)])\s+', '', x)])
                elif items and not re.match(r'^\S', x) and not pre:
                    items[-1].append(x.strip())
                elif items:
                    # An indented table after a list item, or text after the list: keep lines.
                    pre.append(x)
                elif head and len(x) - len(x.lstrip()) >= 2:
                    pre.append(x)
                else:
                    head.append(x.strip())
            if head:
                out.append('<p>%s</p>' % self.inline('\n'.join(head), page, base_dir))
            if items:
                ordered = re.match(r'^\s*\d', p[len(head)] if len(head) < len(p) else '')
                tag = 'ol' if ordered else 'ul'
                out.append('<%s>%s</%s>' % (tag, ''.join(
                    '<li>%s</li>' % self.inline('\n'.join(it), page, base_dir) for it in items), tag))
            if pre:
                ind = min(len(x) - len(x.lstrip()) for x in pre)
                out.append('<pre>%s</pre>' % esc('\n'.join(x[ind:] for x in pre)))
        end_pre()
        return '\n'.join(out)

    def code_line(self, frags, page, rp):
        out = []
        base_dir = os.path.dirname(rp)
        for tok, text in frags:
            k = tok.kind
            e = esc(text)
            if k in ('bc', 'lc'):
                out.append('<span class="c">%s</span>' % e)
            elif tok.role == 'header':
                name = text.strip('"')
                target = None
                for cand in [os.path.normpath(os.path.join(base_dir, name)).replace(os.sep, '/')] + \
                        [d + '/' + name for d in ['common', 'runtimes/tokio', 'runtimes/asyncstd']]:
                    if cand in self.sources:
                        target = cand
                        break
                if target:
                    out.append('<a class="s" href="%s">%s</a>' % (esc(rel(page, site_path(target))), e))
                else:
                    out.append('<span class="s">%s</span>' % e)
            elif k in ('str', 'chr'):
                out.append('<span class="s">%s</span>' % e)
            elif k == 'num':
                out.append('<span class="n">%s</span>' % e)
            elif tok.role == 'ppkw' or (tok.pp and k == 'op' and text == '#'):
                out.append('<span class="p">%s</span>' % e)
            elif k == 'id':
                if text in clex.KEYWORDS:
                    out.append('<span class="k">%s</span>' % e)
                elif text in clex.TYPES or text.endswith('_t'):
                    out.append('<span class="t">%s</span>' % e)
                elif re.fullmatch(r'[A-Z][A-Z0-9_]{2,}', text):
                    out.append('<span class="m">%s</span>' % e)
                else:
                    out.append(e)
            else:
                out.append(e)
        return ''.join(out)

    def render_source(self, rp):
        page = site_path(rp)
        base_dir = os.path.dirname(rp)
        secs = self.parsed[rp]
        rows = []
        for s in secs:
            docs = self.prose(s['docs'], page, base_dir) if s['docs'] else ''
            if not s['id'].startswith('section-'):
                # The contract comment's "name:" opens the prose; set it as code.
                docs = re.sub(r'^<p>%s(\(\))?:' % re.escape(s['id']),
                              lambda m: '<p><code class="fn">%s</code>:' % m.group(0)[3:-1],
                              docs, count=1)
            anchors = ''.join('<span class="anchor" id="%s"></span>' % esc(a) for a in s['anchors'])
            code_lines = []
            for item in s['code']:
                if item is None:
                    code_lines.append('')
                    continue
                lineno, frags, anc = item
                a = ''.join('<span class="anchor" id="%s"></span>' % esc(x) for x in anc)
                code_lines.append('%s<span class="ln" id="L%d">%d</span>%s' % (
                    a, lineno, lineno, self.code_line(frags, page, rp)))
            code = '<pre class="code">%s</pre>' % '\n'.join(code_lines) if code_lines else ''
            rows.append('<section class="row"><div class="docs" id="%s">%s%s'
                        '<a class="pilcrow" href="#%s" title="link to this section">&#182;</a>'
                        '</div><div class="src">%s</div></section>'
                        % (esc(s['id']), anchors, docs, esc(s['id']), code))
        nav = self.prev_next(rp, page)
        body = ('<div class="filehead"><h1>%s</h1><p class="banner">%s</p>%s</div>\n'
                '<div class="annotated">\n%s\n</div>\n%s' % (
                    esc(rp), self.inline(self.banners.get(rp, ''), page, base_dir), nav,
                    '\n'.join(rows), nav))
        self.write_page(page, rp, body, cls='source')

    def prev_next(self, rp, page):
        if rp not in self.order:
            return ''
        i = self.order.index(rp)
        parts = []
        if i > 0:
            p = self.order[i - 1]
            parts.append('<a class="prev" href="%s">&larr; %s</a>' % (esc(rel(page, site_path(p))), esc(p)))
        parts.append('<a href="%s">index</a>' % esc(rel(page, 'index.html')))
        if i + 1 < len(self.order):
            n = self.order[i + 1]
            parts.append('<a class="next" href="%s">%s &rarr;</a>' % (esc(rel(page, site_path(n))), esc(n)))
        return '<nav class="pn">%s</nav>' % ' '.join(parts)

    # --- pages -----------------------------------------------------------------------------
    def write_page(self, page, title, body, cls=''):
        css = rel(page, 'style.css')
        top = rel(page, 'index.html')
        links = [('index.html', 'index'), ('lessons/README.html', 'lessons'),
                 ('docs/architecture.html', 'architecture'), ('bench/index.html', 'bench')]
        nav = ' '.join('<a href="%s">%s</a>' % (esc(rel(page, p)), t) for p, t in links
                       if p in ('index.html', 'bench/index.html') or self.exists(p[:-5] + '.md'))
        doc = ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
               '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
               '<title>%s &mdash; %s</title>\n<link rel="stylesheet" href="%s">\n</head>\n'
               '<body class="%s">\n<header class="site"><a class="home" href="%s">%s</a>'
               '<nav>%s</nav></header>\n<main>\n%s\n</main>\n</body>\n</html>\n' % (
                   esc(title), esc(SITE_TITLE), esc(css), cls, esc(top), esc(SITE_TITLE), nav, body))
        path = os.path.join(self.out, page)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(doc)

    # --- markdown --------------------------------------------------------------------------
    def md_to_html(self, text):
        try:
            r = subprocess.run(['cmark-gfm', '--unsafe', '-e', 'table', '-e', 'strikethrough',
                                '-e', 'autolink', '-e', 'tagfilter'],
                               input=text.encode('utf-8'), stdout=subprocess.PIPE, check=True)
        except FileNotFoundError:
            sys.exit('docs: cmark-gfm not found: run `make deps` (Debian package cmark-gfm)')
        return r.stdout.decode('utf-8', errors='replace')

    def rewrite_url(self, url, page, base_dir, what):
        """rewrite_url: a relative link of a Markdown file -> the URL of the page it means."""
        u = html.unescape(url)
        if re.match(r'^[a-zA-Z][a-zA-Z0-9+.-]*:', u) or u.startswith('//'):
            return url                                      # external: left as written
        if u.startswith('#'):
            return url
        path, _, frag = u.partition('#')
        path = path.split('?')[0]
        rp = os.path.normpath(os.path.join(base_dir, path)).replace(os.sep, '/')
        if rp.startswith('..'):
            warn('%s: %s leaves the repository' % (what, u))
            return url
        if rp == 'bench/results' or rp.startswith('bench/results/'):
            # Bench output is not in git: point at the site's copy of the latest report, or at
            # the page that says there is none yet.
            target = 'bench/index.html'
            rest = rp[len('bench/results/'):]
            if rest.startswith('latest/') and self.exists(rp) and \
                    (rest == 'latest/report.html' or rest.endswith(('.png', '.svg'))):
                target = 'bench/' + rest
            return esc(rel(page, target) + ('#' + frag if frag and target != 'bench/index.html' else ''))
        if self.isdir(rp):
            if self.exists(rp + '/README.md'):
                rp = rp + '/README.md'
            else:
                warn('%s: link to folder %s, which has no README.md' % (what, u))
                return url
        if not self.exists(rp):
            warn('%s: link to %s, which does not exist' % (what, u))
            return url
        if rp.endswith(('.c', '.h')):
            self.queue_src.add(rp)
        elif rp.endswith('.md'):
            self.queue_md.add(rp)
        elif os.path.getsize(os.path.join(self.root, rp)) <= MAX_ASSET:
            self.assets.add(rp)
        else:
            warn('%s: %s is too big to copy into the site' % (what, u))
        return esc(rel(page, site_path(rp)) + ('#' + frag if frag else ''))

    def excerpt_markers(self, text, rp):
        """excerpt_markers: `<!-- excerpt: path#region -->` becomes a link to that region."""
        out = []
        fence = None
        for ln in text.split('\n'):
            m = re.match(r'^ {0,3}(`{3,}|~{3,})', ln)
            if m:
                if fence is None:
                    fence = m.group(1)
                elif m.group(1).startswith(fence[0]) and len(m.group(1)) >= len(fence):
                    fence = None
            em = re.match(r'^ {0,3}<!--\s*excerpt:\s*(\S+?)#(\S+)\s*-->\s*$', ln)
            if fence is None and em:
                src, region = em.group(1), em.group(2)
                if self.exists(src):
                    # In repository terms, like any link of the file: rewrite_url maps it.
                    href = rel(rp, src) + '#region-' + region
                    out.append('<p class="excerpt-from">from <a href="%s"><code>%s</code></a>, '
                               'region <code>%s</code></p>' % (esc(href), esc(src), esc(region)))
                else:
                    warn('%s: excerpt of %s, which does not exist' % (rp, src))
                    out.append('<p class="excerpt-from">from <code>%s</code></p>' % esc(src))
                out.append('')
                continue
            out.append(ln)
        return '\n'.join(out)

    def render_markdown(self, rp):
        page = site_path(rp)
        base_dir = os.path.dirname(rp)
        text = read(os.path.join(self.root, rp))
        m = re.search(r'^#\s+(.+)$', text, re.M)
        title = m.group(1).strip() if m else rp
        self.titles[rp] = re.sub(r'[`*]', '', title)
        body = self.md_to_html(self.excerpt_markers(text, rp))
        used = set()

        def heading(m):
            inner = m.group(3)
            plain = html.unescape(re.sub(r'<[^>]+>', '', inner))
            return '<h%s id="%s"%s>%s</h%s>' % (m.group(1), slugify(plain, used), m.group(2),
                                                inner, m.group(1))
        body = re.sub(r'<h([1-6])((?: [^>]*)?)>(.*?)</h\1>', heading, body, flags=re.S)
        body = re.sub(r'(<(?:a|img)\b[^>]*?\s(?:href|src)=")([^"]*)(")',
                      lambda m: m.group(1) + self.rewrite_url(m.group(2), page, base_dir, rp) + m.group(3),
                      body)
        # Code spans that name a source file or a function link to its annotated page.
        parts = re.split(r'(<a\b.*?</a>|<pre\b.*?</pre>)', body, flags=re.S)
        for i in range(0, len(parts), 2):
            def code(m):
                url = self.link_name(html.unescape(m.group(1)), page, base_dir)
                return '<a href="%s">%s</a>' % (esc(url), m.group(0)) if url else m.group(0)
            parts[i] = re.sub(r'<code>([^<]*)</code>', code, parts[i])
        body = ''.join(parts)
        # Fenced C blocks get the same highlighting as the annotated source.
        body = re.sub(r'<pre><code class="language-c">(.*?)</code></pre>',
                      lambda m: '<pre class="code"><code>%s</code></pre>' % self.code_line(
                          [(t, t.text) for t in clex.lex(html.unescape(m.group(1)))], page, rp),
                      body, flags=re.S)
        extra = self.lesson_files(rp, page) if re.match(r'^lessons/\d\d-[^/]+/README\.md$', rp) else ''
        self.write_page(page, self.titles[rp], '<article class="md">%s%s</article>' % (body, extra),
                        cls='markdown')

    def lesson_files(self, rp, page):
        d = os.path.dirname(rp)
        files = [s for s in self.sources if s.startswith(d + '/')]
        if not files:
            return ''
        items = []
        for f in files:
            note = ' (the reference solution: try the exercise first)' if '/solution/' in f else ''
            items.append('<li><a href="%s"><code>%s</code></a>%s</li>' % (
                esc(rel(page, site_path(f))), esc(f[len(d) + 1:]), note))
        return ('<h2 id="the-files-of-this-lesson">The files of this lesson</h2><ul>%s</ul>'
                % ''.join(items))

    # --- reading order and index -------------------------------------------------------------
    def reading_order(self):
        """reading_order: the numbered steps of architecture.md's "Reading order" section."""
        steps = []
        arch = 'docs/architecture.md'
        if not self.exists(arch):
            warn('docs/architecture.md is missing: no reading order')
            return steps
        text = read(os.path.join(self.root, arch))
        m = re.search(r'^##[^\n]*reading order[^\n]*\n(.*?)(?=^## |\Z)', text, re.M | re.S | re.I)
        if not m:
            warn('docs/architecture.md has no "Reading order" section')
            return steps
        for item in re.findall(r'^\s*\d+\.\s+(.*(?:\n(?!\s*\d+\.\s)[ \t]+\S.*)*)', m.group(1), re.M):
            item = ' '.join(item.split())
            files = []
            for name in re.findall(r'`([^`]+)`', item):
                rp = self.resolve_name(name)
                if rp and rp.endswith(('.c', '.h')):
                    files.append(rp)
                    self.queue_src.add(rp)
            steps.append((item, files))
        return steps

    def runtimes_order(self):
        """runtimes_order: file names in the order runtimes/README.md introduces them."""
        names = []
        if self.exists('runtimes/README.md'):
            for tok in re.findall(r'`([^`]+)`', read(os.path.join(self.root, 'runtimes/README.md'))):
                if re.fullmatch(r'[\w*]+\.[ch]', tok):
                    names.append(tok)
        return names

    def order_dir(self, files, names=()):
        """order_dir: files in the order `names` introduces them, the rest by name, x.h before x.c."""
        def key(f):
            base = os.path.basename(f)
            stem, ext = os.path.splitext(base)
            for i, n in enumerate(names):
                if re.fullmatch(re.escape(n).replace(r'\*', '.*'), base):
                    return (i, stem, ext != '.h')
            return (len(names), stem, ext != '.h')
        return sorted(files, key=key)

    def render_index(self, steps):
        page = 'index.html'
        listed = []

        def li(rp):
            listed.append(rp)
            return '<li><a href="%s"><code>%s</code></a> <span class="desc">%s</span></li>' % (
                esc(rel(page, site_path(rp))), esc(rp), self.inline(self.banners.get(rp, ''), page, ''))

        out = ['<h1>%s: the annotated source, the lessons and the bench</h1>' % esc(SITE_TITLE)]
        start = [(p, t) for p, t in [('README.md', 'the project README'),
                                     ('docs/architecture.md', 'the architecture: read this first'),
                                     ('lessons/README.md', 'the course: lessons in numbered steps'),
                                     ('runtimes/README.md', 'the two flavours, file by file'),
                                     ('bench/README.md', 'the benchmark harness'),
                                     ('bench/WORKLOADS.md', 'every bench workload defined')]
                 if p in self.markdown]
        out.append('<h2 id="start-here">Start here</h2><ul>')
        for p, t in start:
            out.append('<li><a href="%s">%s</a> &mdash; %s</li>' % (
                esc(site_path(p)), esc(self.titles.get(p, p)), esc(t)))
        out.append('<li><a href="bench/index.html">the latest bench report</a></li></ul>')

        out.append('<h2 id="reading-order">The core in reading order</h2>'
                   '<p>The order of <a href="docs/architecture.html#4-reading-order">'
                   'architecture.md, section 4</a>. Each file is shown with its comments on the '
                   'left and its code on the right.</p><ol class="steps">')
        for item, files in steps:
            out.append('<li><p>%s</p><ul>%s</ul></li>' % (self.inline(item, page, ''),
                                                          ''.join(li(f) for f in files)))
        out.append('</ol>')
        groups = [
            ('core', 'The rest of the core, common/',
             self.order_dir([s for s in self.sources if s.startswith('common/')])),
            ('tokio', 'The tokio-style flavour, runtimes/tokio/',
             self.order_dir([s for s in self.sources if re.match(r'runtimes/tokio/[^/]+$', s)],
                            self.runtimes_order())),
            ('asyncstd', 'The async-std-style flavour, runtimes/asyncstd/',
             self.order_dir([s for s in self.sources if re.match(r'runtimes/asyncstd/[^/]+$', s)],
                            self.runtimes_order())),
            ('examples', "The seed's examples, runtimes/*/examples/",
             self.order_dir([s for s in self.sources if '/examples/' in s])),
            ('other', 'Other files the documents point at',
             [s for s in self.sources if not s.startswith(('common/', 'runtimes/', 'lessons/'))]),
        ]
        for gid, title, files in groups:
            files = [f for f in files if f not in listed]
            if not files:
                continue
            out.append('<h2 id="%s">%s</h2><ul class="files">%s</ul>' % (
                gid, esc(title), ''.join(li(f) for f in files)))
        self.order = list(listed)

        lessons = [m for m in self.markdown if re.match(r'^lessons/\d\d-[^/]+/README\.md$', m)]
        out.append('<h2 id="lessons">The lessons</h2><ol class="lessons">')
        for m in lessons:
            out.append('<li value="%d"><a href="%s">%s</a></li>' % (
                int(m.split('/')[1][:2]), esc(site_path(m)), esc(self.titles.get(m, m))))
        out.append('</ol>')
        docs = [m for m in self.markdown if m.startswith('docs/')]
        if docs:
            out.append('<h2 id="docs">Documents</h2><ul>%s</ul>' % ''.join(
                '<li><a href="%s">%s</a> <span class="desc">(%s)</span></li>' % (
                    esc(site_path(m)), esc(self.titles.get(m, m)), esc(m)) for m in docs))
        others = [m for m in self.markdown if not m.startswith(('docs/', 'lessons/'))
                  and m not in dict(start)]
        if others:
            out.append('<h2 id="more">More</h2><ul>%s</ul>' % ''.join(
                '<li><a href="%s">%s</a></li>' % (esc(site_path(m)), esc(self.titles.get(m, m)))
                for m in others))
        self.write_page(page, 'index', '<article class="md index">%s</article>' % '\n'.join(out),
                        cls='index')

    # --- bench -------------------------------------------------------------------------------
    def render_bench(self):
        page = 'bench/index.html'
        latest = os.path.join(self.root, 'bench/results/latest')
        report = os.path.join(latest, 'report.html')
        if not os.path.isfile(report):
            self.write_page(page, 'bench', '<article class="md"><h1>The bench report</h1>'
                            '<p class="none">no bench report yet: run make bench</p>'
                            '<p>Then run <code>make docs</code> again: this page will link the '
                            'report of <code>bench/results/latest/</code>.</p></article>', cls='bench')
            return
        real = os.path.realpath(latest)
        dst = os.path.join(self.out, 'bench/latest')
        os.makedirs(dst, exist_ok=True)
        text = read(report)
        back = '<p class="sitenav"><a href="../../index.html">&larr; %s: index</a></p>' % esc(SITE_TITLE)
        text = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + back, text, count=1)
        with open(os.path.join(dst, 'report.html'), 'w', encoding='utf-8') as f:
            f.write(text)
        for sub in ('plots',):
            sd = os.path.join(real, sub)
            if os.path.isdir(sd):
                os.makedirs(os.path.join(dst, sub), exist_ok=True)
                for f in sorted(os.listdir(sd)):
                    if f.endswith(('.png', '.svg')):
                        shutil.copy2(os.path.join(sd, f), os.path.join(dst, sub, f))
        machine = ''
        mpath = os.path.join(real, 'machine.txt')
        if os.path.isfile(mpath):
            machine = '<h2 id="machine">The machine</h2><pre>%s</pre>' % esc(read(mpath))
        self.write_page(page, 'bench', '<article class="md"><h1>The bench report</h1>'
                        '<p>The latest run, <code>bench/results/%s</code>: '
                        '<a href="latest/report.html">the report</a> (tables, plots and a reading '
                        'of the results).</p>%s</article>' % (esc(os.path.basename(real)), machine),
                        cls='bench')

    # --- the whole site ----------------------------------------------------------------------
    def build(self):
        self.sources = self.glob(SOURCE_GLOBS)
        self.markdown = self.glob(MARKDOWN_GLOBS)
        steps = self.reading_order()
        self.sources += sorted(self.queue_src - set(self.sources))
        self.parse_sources()
        for m in self.markdown:
            self.render_markdown(m)
        # Markdown pages reached only through links, and sources they name.
        while True:
            new_md = sorted(self.queue_md - set(self.markdown))
            new_src = sorted(self.queue_src - set(self.sources))
            if not new_md and not new_src:
                break
            self.sources += new_src
            self.parse_new(new_src)
            for m in new_md:
                self.markdown.append(m)
                self.render_markdown(m)
        self.render_index(steps)
        for rp in self.sources:
            self.render_source(rp)
        for a in sorted(self.assets):
            dst = os.path.join(self.out, a)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.join(self.root, a), dst)
        self.render_bench()
        shutil.copy2(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'style.css'),
                     os.path.join(self.out, 'style.css'))

    def parse_new(self, new_src):
        keep = self.sources
        self.sources = new_src
        self.parse_sources()
        self.sources = keep


def main():
    ap = argparse.ArgumentParser(description='build the documentation site')
    ap.add_argument('--out', required=True, help='output folder, e.g. build/docs')
    ap.add_argument('--root', default='.', help='repository root')
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    tmp = out + '.tmp'
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    site = Site(os.path.abspath(args.root), tmp)
    site.build()
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    pages = sum(len(fs) for _, _, fs in os.walk(out) if True)
    print('docs: %d annotated sources, %d Markdown pages, %d files in %s%s' % (
        len(site.sources), len(site.markdown), pages, args.out,
        ', %d warning(s) above' % len(warnings) if warnings else ''))


if __name__ == '__main__':
    main()
