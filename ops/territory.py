"""``relocbot territory --tarball PATH``: the communes table, built from Etalab's npm package.

The package ``@etalab/decoupage-administratif`` (INSEE's Code officiel géographique, La Poste's
postal codes and the DGCL's intercommunalities, as JSON) is fetched by ``make territory`` with
``npm pack`` into a temporary folder; this command reads that tarball (nothing is downloaded
here) and writes ``knowledge/corpus/geo/communes-hdf.csv``: every commune of région 32
(Hauts-de-France) with its delegated / associated communes, plus the Seine-Maritime members of
the intercommunalities that straddle the regional border (Eu / Le Tréport, Aumale / Blangy).

Usage::

    make territory                                    # npm pack + this command
    relocbot territory --tarball /tmp/x/etalab-decoupage-administratif-6.0.0.tgz
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from knowledge import CORPUS_DIR

__all__ = ["COLUMNS", "PACKAGE", "Package", "build_rows", "read_package", "register",
           "territory", "write_table"]

PACKAGE = "@etalab/decoupage-administratif"
REGION = "32"
OUT_FILE = CORPUS_DIR / "geo" / "communes-hdf.csv"
COLUMNS = ("insee", "nom", "codes_postaux", "departement", "arrondissement",
           "arrondissement_nom", "epci_siren", "epci_nom", "population", "type", "parent")
_CURRENT = "commune-actuelle"
_ATTACHED = ("commune-deleguee", "commune-associee")


@dataclass(frozen=True)
class Package:
    """What the tarball holds that the table needs."""

    name: str
    version: str
    license: str
    integrity: str
    communes: list[dict[str, Any]]
    epcis: list[dict[str, Any]]
    arrondissements: list[dict[str, Any]]


def _member(tar: tarfile.TarFile, path: str) -> Any:
    handle = tar.extractfile(f"package/{path}")
    if handle is None:
        raise typer.BadParameter(f"the tarball has no package/{path}")
    with handle:
        return json.load(handle)


def read_package(tarball: Path) -> Package:
    """The package's metadata and data files, read from the ``npm pack`` tarball."""
    blob = tarball.read_bytes()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        meta = _member(tar, "package.json")
        if meta.get("name") != PACKAGE:
            raise typer.BadParameter(f"{tarball} is {meta.get('name')}, not {PACKAGE}")
        return Package(name=meta["name"], version=meta["version"], license=meta["license"],
                       integrity=integrity, communes=_member(tar, "data/communes.json"),
                       epcis=_member(tar, "data/epci.json"),
                       arrondissements=_member(tar, "data/arrondissements.json"))


def build_rows(package: Package) -> list[dict[str, str]]:
    """One row per commune of the region (and the border EPCIs' members), sorted by INSEE code."""
    epci_of = {m["code"]: epci for epci in package.epcis for m in epci["membres"]}
    arr_name = {a["code"]: a["nom"] for a in package.arrondissements}
    current = {c["code"]: c for c in package.communes if c["type"] == _CURRENT}
    in_region = {code for code, c in current.items() if c.get("region") == REGION}
    border_epcis = {epci_of[code]["code"] for code in in_region if code in epci_of}
    selected = in_region | {code for code in current
                            if code in epci_of and epci_of[code]["code"] in border_epcis}
    rows: list[dict[str, str]] = []
    for code in sorted(selected):
        c, epci = current[code], epci_of.get(code, {})
        rows.append({
            "insee": code, "nom": c["nom"], "codes_postaux": " ".join(c.get("codesPostaux", [])),
            "departement": c["departement"], "arrondissement": c.get("arrondissement", ""),
            "arrondissement_nom": arr_name.get(c.get("arrondissement", ""), ""),
            "epci_siren": epci.get("code", ""), "epci_nom": epci.get("nom", ""),
            "population": str(c.get("population", "")), "type": "commune", "parent": "",
        })
    for c in sorted(package.communes, key=lambda c: (c["code"], c["type"])):
        if c["type"] in _ATTACHED and c.get("chefLieu") in selected:
            kind = "deleguee" if c["type"] == "commune-deleguee" else "associee"
            rows.append({**dict.fromkeys(COLUMNS, ""), "insee": c["code"], "nom": c["nom"],
                         "departement": c["departement"], "type": kind,
                         "parent": c["chefLieu"]})
    return rows


def write_table(rows: list[dict[str, str]], package: Package, path: Path = OUT_FILE) -> None:
    """The CSV with its manifest as ``#`` lines (package, version, licence, build command)."""
    counts = {kind: sum(1 for r in rows if r["type"] == kind)
              for kind in ("commune", "deleguee", "associee")}
    header = [
        "Communes of Hauts-de-France (région 32) with their postal codes, département,",
        "arrondissement and intercommunality (EPCI), plus the Seine-Maritime members of the",
        "EPCIs that straddle the regional border. Delegated / associated communes (type",
        "deleguee / associee) name their current commune in `parent`.",
        f"source: npm package {package.name} {package.version} (data/communes.json,",
        "  data/epci.json, data/arrondissements.json) -- https://github.com/etalab/decoupage-administratif",
        f"licence: data Licence Ouverte / Open Licence (Etalab); package {package.license}",
        f"tarball integrity: {package.integrity}",
        "build: make territory  (npm pack the package, then relocbot territory --tarball FILE)",
        "rows: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()),
        "The package carries no coordinates: see knowledge/corpus/geo/communes.yaml.",
    ]
    buffer = io.StringIO()
    buffer.write("".join(f"# {line}\n" for line in header))
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def territory(
    tarball: Annotated[Path, typer.Option(help="the tarball `npm pack` fetched", exists=True,
                                          dir_okay=False)],
    out: Annotated[Path, typer.Option(help="the CSV to write")] = OUT_FILE,
) -> None:
    """Rebuild the communes table (knowledge/corpus/geo/communes-hdf.csv) from the tarball."""
    package = read_package(tarball)
    rows = build_rows(package)
    write_table(rows, package, out)
    regions = sum(1 for r in rows if r["departement"] in ("02", "59", "60", "62", "80"))
    typer.echo(f"{out}: {len(rows)} rows ({regions} in départements 02, 59, 60, 62, 80) "
               f"from {package.name} {package.version}")


def register(app: typer.Typer) -> None:
    """Add ``relocbot territory`` to the command line."""
    app.command(name="territory")(territory)
