# docs/tools/docs.mk: the documentation site -- make docs (build it) and make docs-check (test it).
#
# Included by the top Makefile (it uses BUILD and the deps target):
#
#     include docs/tools/docs.mk
#
#   make docs        renders $(BUILD)/docs/: every .c/.h of common/ and runtimes/ (examples too)
#                    and of the lessons as annotated source, the lessons' and docs' Markdown, an
#                    index in reading order and the latest bench report. Open $(BUILD)/docs/index.html.
#   make docs-check  loads every page of it in headless Chromium and fails on a broken link or
#                    #anchor, a missing image or stylesheet, a console error or a JS exception;
#                    first it proves, on injected defects, that it can fail. Writes
#                    $(BUILD)/docs-check/{report.txt,screenshot.png,test-results.txt}.
#
# The generator and the check are Python 3 (standard library only) plus two Debian programs,
# cmark-gfm (Markdown) and chromium; docs/annotated-source.md says why.

DOCS_TOOLS := docs/tools
DOCS_OUT   := $(BUILD)/docs
DOCS_CHECK := $(BUILD)/docs-check

.PHONY: docs docs-check
docs: deps
	@python3 -B $(DOCS_TOOLS)/gen_docs.py --out $(DOCS_OUT)

docs-check: docs
	@python3 -B $(DOCS_TOOLS)/check_docs.py $(DOCS_OUT) --out $(DOCS_CHECK)
