"""Ordering printed copies: the order service `brochure serve` runs beside the built catalog, and the staff's
`brochure orders` commands that turn the orders into print runs.

titles.py reads what can be ordered from a built dist/; validate.py checks an order (a list of problems, each naming
its field); models.py and db.py keep orders in a database (SQLAlchemy, schema by the Alembic migrations in
migrations/); store.py places, reads and exports them in transactions; export.py writes a print run (labels.py its
shipping labels); app.py is the web side (Starlette) and serve.py starts it under uvicorn.
"""
