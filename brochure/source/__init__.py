"""Reading a source: front matter, Markdown, configuration and glyph coverage → one frozen Publication.

reader.read_publication is the only way in; nothing later opens the source again."""
