"""Django's PostgreSQL backend, with bulk inserts written as `VALUES` rows.

Django 5.2 sends a bulk insert of plain values as `INSERT … SELECT * FROM UNNEST(%s::type[],
…)`, one array parameter per column, to spare the server the planning of many placeholders
(django ticket #35936). Under psycopg's client-side binding, Django's default and ours, each
array is quoted into the statement by psycopg's pure-Python list dumper, element by element:
200 rows holding a 2 KB JSON document took about 100 ms to insert that way, against about
18 ms as `VALUES` rows (each value quoted by libpq). The export stores every item it fetches
and logs every remote call through such inserts, so this backend keeps `VALUES` while the
connection binds client-side; with `server_side_binding` on, Django's choice stands.
"""
