"""``relocbot territory``: the communes table from a package tarball (a small one made here)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from typer.testing import CliRunner

from knowledge.catalog.communes import read_table
from ops.cli import app


def _tarball(path: Path) -> Path:
    files = {
        "package.json": {"name": "@etalab/decoupage-administratif", "version": "9.9.9",
                         "license": "MIT"},
        "data/communes.json": [
            {"code": "62473", "nom": "Isbergues", "type": "commune-actuelle", "region": "32",
             "departement": "62", "arrondissement": "622", "codesPostaux": ["62330"],
             "population": 8650},
            {"code": "62110", "nom": "Berguette", "type": "commune-deleguee", "region": "32",
             "departement": "62", "chefLieu": "62473"},
            {"code": "80001", "nom": "Abbeville", "type": "commune-actuelle", "region": "32",
             "departement": "80", "arrondissement": "801", "codesPostaux": ["80100"],
             "population": 22000},
            {"code": "76255", "nom": "Eu", "type": "commune-actuelle", "region": "28",
             "departement": "76", "arrondissement": "761", "codesPostaux": ["76260"]},
            {"code": "76540", "nom": "Rouen", "type": "commune-actuelle", "region": "28",
             "departement": "76", "arrondissement": "762", "codesPostaux": ["76000"]},
        ],
        "data/epci.json": [
            {"code": "200072460", "nom": "CA de Béthune-Bruay", "membres": [{"code": "62473"}]},
            {"code": "247600588", "nom": "CC des Villes Soeurs",
             "membres": [{"code": "80001"}, {"code": "76255"}]},
        ],
        "data/arrondissements.json": [{"code": "622", "nom": "Béthune"},
                                      {"code": "801", "nom": "Abbeville"}],
    }
    out = path / "etalab-decoupage-administratif-9.9.9.tgz"
    with tarfile.open(out, "w:gz") as tar:
        for name, content in files.items():
            blob = json.dumps(content).encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return out


def test_the_command_builds_the_table_from_the_tarball(tmp_path: Path) -> None:
    out = tmp_path / "communes.csv"
    result = CliRunner().invoke(app, ["territory", "--tarball", str(_tarball(tmp_path)),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "# source: npm package @etalab/decoupage-administratif 9.9.9" in text
    assert "tarball integrity: sha512-" in text
    rows = {r["insee"]: r for r in read_table(out)}
    assert set(rows) == {"62473", "62110", "80001", "76255"}   # Rouen: not a border EPCI's
    assert rows["62473"]["epci_nom"] == "CA de Béthune-Bruay"
    assert rows["62473"]["arrondissement_nom"] == "Béthune"
    assert rows["62110"]["type"] == "deleguee"
    assert rows["62110"]["parent"] == "62473"
    assert rows["76255"]["epci_siren"] == "247600588"


def test_another_package_is_refused(tmp_path: Path) -> None:
    tarball = tmp_path / "other.tgz"
    blob = json.dumps({"name": "left-pad", "version": "1.0.0", "license": "MIT"}).encode()
    with tarfile.open(tarball, "w:gz") as tar:
        info = tarfile.TarInfo("package/package.json")
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    result = CliRunner().invoke(app, ["territory", "--tarball", str(tarball),
                                      "--out", str(tmp_path / "x.csv")])
    assert result.exit_code != 0
    assert not (tmp_path / "x.csv").exists()
