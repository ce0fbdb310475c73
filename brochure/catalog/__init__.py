"""The catalog of many publications: catalog records (listing.py) and the page and OPDS feed made from them (render.py)."""
