#!/usr/bin/env python3
# test_gen_docs.py: unit tests of the annotated-source generator (run by make docs-check).
#
#   python3 docs/tools/test_gen_docs.py
#
# The lexer cases a C file can throw at it (comment openers inside strings and character
# constants, comments after code, unterminated comments), the prose/code split, the hidden
# region tags, HTML escaping, and a whole small site built from a made-up repository.

import os
import re
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True          # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clex  # noqa: E402
import gen_docs  # noqa: E402

TRICKY = r'''/* t.c: lexer torture. */
#include "t.h"

// region: strings
static const char *a = "not /* a comment */ here"; /* trailing <b> & */
static const char *b = "nor // this";              // trailing line
static const char c = '/', d = '*', q = '\'';
static const char *e = "quote \" and /*";
// endregion

/*
 * An essay with <html> & "quotes" and `code`:
 * - one
 * - two
 *
 *     indented
 */
int t_f(int x)
{
    /* inside a body */
    return x /* mid */ + 1; /* a note over
                               two lines */
}
#define T_M(x) do { /* in a macro */ } while (0)
/* t_g: a contract. */
int t_g(void) { return 0; }
'''


def docs_and_code(src):
    secs = clex.split_sections(src)
    docs = [d for s in secs for d in s['docs']]
    code = '\n'.join(''.join(t for _, t in item[1]) for s in secs for item in s['code'] if item)
    return secs, docs, code


class Lexer(unittest.TestCase):
    def test_comment_openers_in_literals_are_code(self):
        _, docs, code = docs_and_code(TRICKY)
        self.assertIn('"not /* a comment */ here"', code)
        self.assertIn('"nor // this"', code)
        self.assertIn(r"q = '\''", code)
        self.assertIn(r'"quote \" and /*"', code)
        kinds = {t.text: t.kind for t in clex.lex(TRICKY)}
        self.assertEqual(kinds['"not /* a comment */ here"'], 'str')
        self.assertEqual(kinds["'/'"], 'chr')

    def test_top_level_comments_are_prose_and_others_stay_code(self):
        _, docs, code = docs_and_code(TRICKY)
        self.assertEqual(docs[0], 't.c: lexer torture.')
        self.assertTrue(docs[1].startswith('An essay with <html>'))
        self.assertEqual(docs[2], 't_g: a contract.')
        self.assertEqual(len(docs), 3)
        for kept in ('/* trailing <b> & */', '// trailing line', '/* inside a body */',
                     '/* mid */', '/* a note over', '  two lines */', '/* in a macro */'):
            self.assertIn(kept, code)

    def test_region_tags_hidden_and_anchored(self):
        secs, docs, code = docs_and_code(TRICKY)
        self.assertNotIn('region', code)
        self.assertNotIn('region', ' '.join(docs))
        anchors = [a for s in secs for it in s['code'] if it for a in it[2]]
        self.assertEqual(anchors, ['region-strings'])

    def test_unterminated_comment_and_empty_file(self):
        secs, docs, _ = docs_and_code('int x;\n/* never closed\n')
        self.assertEqual(docs, ['never closed'])
        self.assertEqual(clex.split_sections(''), [])

    def test_comment_text_strips_gutter(self):
        tok = clex.lex('/*\n * a\n *   b\n */')[0]
        self.assertEqual(clex.comment_text(tok), 'a\n  b')


class Site(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='gen-docs-test-')
        root = os.path.join(self.tmp, 'repo')
        files = {
            'common/t.c': TRICKY,
            'common/t.h': '/* t.h: the header. */\nint t_g(void);\n',
            'docs/architecture.md': '# Arch\n\n## 4. Reading order\n\n1. `t.h`, `t.c` -- all of it.\n',
            'lessons/README.md': '# lessons\n\n[one](01-one/README.md)\n',
            'lessons/01-one/README.md': (
                '# Lesson 01 -- one\n\nSee [t.c](../../common/t.c), `t_g` and [two](#two-words).'
                '\n\n## Two words\n\n<!-- excerpt: common/t.c#strings -->\n```c\nx\n```\n'),
            'lessons/01-one/demo.c': '/* demo.c: a demo. */\nint main(void) { return 0; }\n',
        }
        for path, text in files.items():
            p = os.path.join(root, path)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, 'w') as f:
                f.write(text)
        self.out = os.path.join(self.tmp, 'out')
        os.makedirs(self.out)
        gen_docs.warnings.clear()
        gen_docs.Site(root, self.out).build()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def read(self, page):
        with open(os.path.join(self.out, page)) as f:
            return f.read()

    def test_pages_and_links(self):
        page = self.read('common/t.c.html')
        self.assertIn('&lt;html&gt; &amp; &quot;quotes&quot;', page)           # prose escaped
        self.assertIn('<span class="c">/* trailing &lt;b&gt; &amp; */</span>', page)
        self.assertIn('<a class="s" href="t.h.html">&quot;t.h&quot;</a>', page)  # include linked
        self.assertIn('id="t_g"', page)                                         # contract anchor
        self.assertIn('id="region-strings"', page)
        lesson = self.read('lessons/01-one/README.html')
        self.assertIn('href="../../common/t.c.html"', lesson)
        self.assertIn('href="../../common/t.c.html#region-strings"', lesson)
        self.assertIn('href="../../common/t.c.html#t_g"', lesson)
        self.assertIn('id="two-words"', lesson)
        self.assertIn('href="demo.c.html"', lesson)                             # lesson's files
        self.assertEqual(gen_docs.warnings, [])
        index = self.read('index.html')
        self.assertLess(index.index('common/t.h.html'), index.index('common/t.c.html'))
        self.assertIn('no bench report yet: run make bench', self.read('bench/index.html'))

    def test_broken_link_warns(self):
        root = os.path.join(self.tmp, 'repo')
        with open(os.path.join(root, 'lessons/01-one/README.md'), 'a') as f:
            f.write('\n[gone](../../common/gone.c)\n')
        gen_docs.warnings.clear()
        out2 = os.path.join(self.tmp, 'out2')
        os.makedirs(out2)
        gen_docs.Site(root, out2).build()
        self.assertTrue(any('gone.c' in w for w in gen_docs.warnings))


if __name__ == '__main__':
    unittest.main()
