"""The metamorphic corpus of issue 15: valid deliveries built from the tests' own parameters, harmless and
harmful transformations of them, and the relations the connectors must keep.

- `model`: a workbook as columns (header path + cells) with the lines above and below the table; renders
  to xlsx (openpyxl), an HTML table named `.xls`, and through LibreOffice to BIFF `.xls` and `.ods`; a
  dossier export (CSV / JSON) as records plus rendering options.
- `base`: the base delivery of every source and the observations it must give, both from parameters
  written here (never from `samples/`, never through a connector).
- `transforms`: harmless transformations (the observations must not change) and harmful ones (the file
  must be refused with a problem naming the header as typed, the cell and the value as typed), and the
  seeded plan of variants per source.
"""
