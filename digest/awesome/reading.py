"""Which reading of the Markdown the stored list is: a release that reads the list differently (a code fence, an HTML
comment, a News line that links a paper) bumps READER_VERSION, and a list stored by an older reading is read again,
from its own bytes, when the database is next opened. Pure: no imports beyond the standard library.
"""

from __future__ import annotations

READER_VERSION = "17"  # 2: entry shape, fences and comments line by line, setext headings, BOM (after bdc80e5)
# 3: a title link wrapped onto the lines under it, a link with a hover title or in <...>, a title in bold before a
# link named "[Paper]" or "PDF", a title link in bold, the emphasis allowance for the list's own bullet, numbered items,
# venue tags before the title, entries in a sub-list under a category bullet, ISO and month dates, section names
# without their heading's markup
# 4: a paper's arXiv ID read from its Hugging Face papers, alphaXiv or ar5iv page, its arXiv DOI, or written beside the
# title link ('arXiv:2501.01234'); papers in the rows of a table; headings written in HTML ('<h2>Tools</h2>')
# 5: a section holding only a table's header and no row yet: a new section waiting for papers; a table's column
# named with an emoji or emphasis around its name ('| 📅 Date |'); a list item right under a table is no row of it
# and a sub-list's entries after a note written unindented under one of them
# 6: an old-style arXiv ID linked with its archive upper-case ('HEP-TH/9901001') read as arXiv writes it, lower-case
# 7: an arXiv ID written on an entry's line only in an HTML comment or a code span names no paper (what GitHub shows)
# 8: an entry's links written by reference ('[Title][sae]' over '[sae]: https://...'); a shortcode emoji before a title
# and a date before a line break forced after it ('(Jan. 5, 2024)\', '(Jan. 5, 2024)<br>')
# 9: a heading's closing '#'s only after a space, as CommonMark reads them ('## C# ##' is 'C#', '## Papers#' 'Papers#')
# 10: a bare CR (old Mac line ends) ends a line, as in CommonMark
# 11: an entry indented by one to three spaces (' + [Title](url)'), not nested in the item above, is an entry
# 12: a date in italics or bold after the title ('*(Jan. 5, 2024)*', '**(Jan. 5, 2024)**')
# 13: a task list's item linking a paper ('- [ ] [Title](arXiv url)', '- [x] ...') is an entry; a date after the
# title in brackets, after a comma or a dash, or in a code span ('[Jan. 5, 2024]', ', Jan. 5, 2024', '`(Jan. 5, 2024)`')
# 14: a task list's item linking a page off arXiv, in a section whose task items link arXiv papers, is an entry too
# 15: a section named without its heading's emphasis, strikethrough, backslash escapes and entities ('*Vision*')
# 16: a section named without the links back up the page ending its heading ('## Graph RAG [🔝](#contents)')
# 17: a title's Cyrillic letters drawn as Latin ones keyed as those (titles.LOOKALIKES): the stored papers keyed again
META_KEY = "reader_version"
