"""Demo and test generators: a synthetic commune share and database (Faker ``fr_FR``).

Not part of the product: nothing under ``rgpd/`` outside this package imports
it (``tests/test_dependencies.py`` checks), and its dependencies come with the
``demo`` extra (``pip install 'rgpd[demo]'``; the ``dev`` extra and ``make demo``
include it). ``make demo``, the tests and the benchmarks use it.

- :mod:`rgpd.demo.samples`: a municipal file share in every format the
  extractor reads, with a manifest of what each file holds; ``hostile=True``
  adds corrupt files, a zip bomb, nested archives, a symlink loop...
- :mod:`rgpd.demo.sample_db`: a "portail famille" database (families, children,
  invoices, health notes) with the expected detections.
"""
