"""Profile extraction on French and English sentences, ambiguous ones included."""

from __future__ import annotations

from typing import Any

import pytest

from knowledge.catalog import ProfileExtractor, size_from_headcount

CASES: list[tuple[str, dict[str, Any]]] = [
    ("PME de 40 salariés à Roubaix qui veut relocaliser la fabrication de parasols",
     {"department": "59", "city": "Roubaix", "size": "PME", "headcount": 40,
      "project_types": ["relocalisation"]}),
    ("SME with 40 employees in Lille that wants to hire 25 people",
     {"department": "59", "city": "Lille", "size": "PME", "headcount": 40, "jobs": 25}),
    ("Grand groupe, 150 emplois créés, investissement de 12 M€ dans le Pas-de-Calais",
     {"department": "62", "size": "GE", "jobs": 150, "investment_eur": 12_000_000}),
    ("artisan TPE au 62100", {"department": "62", "postal_code": "62100", "size": "TPE"}),
    ("on veut créer 20 emplois et investir 500 k€ en machines dans la Somme",
     {"department": "80", "jobs": 20, "investment_eur": 500_000,
      "project_types": ["investissement", "recrutement"]}),
    ("Nous sommes une ETI de l'Oise", {"department": "60", "size": "ETI"}),
    ("ouvrir un nouveau site avec 25 embauches", {"jobs": 25}),
    ("et si on était 300 ?", {"headcount": 300, "size": "ETI"}),
    ("we are 40 people", {"headcount": 40}),
    ("on est à 2 km de Lille", {"headcount": None}),
    ("on est 2 associés", {"headcount": None}),
    ("we plan 30 new hires", {"jobs": 30}),
    ("pas de calais", {"department": "62", "city": None}),
    ("une PME du pas-de-calais a Arras", {"department": "62", "city": "Arras"}),
    ("j'ai une usine au Maroc qui fabrique des chaussures, je veux revenir en France",
     {"sector": "textile", "project_types": ["relocalisation"]}),
    ("entreprise de 8 personnes à Amiens", {"city": "Amiens", "department": "80",
                                            "size": "TPE", "headcount": 8}),
    ("Start in Valenciennes, 300 staff, export to Germany",
     {"city": "Valenciennes", "size": "ETI", "headcount": 300, "project_types": ["export"]}),
    ("Atelier de confection textile à Calais", {"city": "Calais", "sector": "textile"}),
    ("Nous voulons ouvrir une nouvelle usine à Dunkerque",
     {"city": "Dunkerque", "project_types": ["implantation"]}),
    ("Une PME de l'Aisne qui fait de la R&D", {"department": "02", "size": "PME",
                                               "project_types": ["rd"]}),
    ("Quel financement pour décarboner notre usine à Beauvais ?",
     {"city": "Beauvais", "department": "60", "project_types": ["transition-ecologique"]}),
    ("We are a large company planning a new plant in the 59",
     {"department": "59", "size": "GE", "project_types": ["implantation"]}),
    ("entreprise de 2 500 salariés", {"headcount": 2500, "size": "ETI"}),
    ("nous avons 12000 employés", {"headcount": 12000, "size": "GE"}),
    ("micro-entreprise à Arras", {"city": "Arras", "size": "TPE"}),
    ("PME industrielle à Douai, on veut acheter des machines",
     {"city": "Douai", "size": "PME", "project_types": ["investissement"]}),
    ("robotiser notre ligne à Lens", {"city": "Lens", "project_types": ["modernisation"]}),
    ("Notre trésorerie est tendue, PME à Saint-Quentin",
     {"city": "Saint-Quentin", "department": "02", "project_types": ["tresorerie"]}),
    ("éco-concevoir nos meubles", {"project_types": ["ecoconception"], "sector": "mobilier"}),
    ("reprendre une entreprise de 30 salariés",
     {"project_types": ["reprise"], "headcount": 30, "size": "PME"}),
    ("We want to bring production back to France from China",
     {"project_types": ["relocalisation"]}),
    ("former nos opérateurs", {"project_types": ["formation"]}),
    ("société à Paris 75011", {"department": "75", "postal_code": "75011"}),
    ("investissement de 2,5 millions d'euros", {"investment_eur": 2_500_000}),
    ("investment of 800,000 euros", {"investment_eur": 800_000}),
    ("département 62", {"department": "62"}),
    ("Quelles aides ?", {"department": None, "size": None, "project_types": []}),
    # Ambiguous: no number means no headcount, and the size word is not guessed from it.
    ("une petite boîte de Lille", {"city": "Lille", "headcount": None, "size": None}),
    ("nous embauchons beaucoup", {"jobs": None}),
    ("le Nord de la France", {"department": "59"}),
    # Round numbers in words, jobs "with" a plant, hiring "over" a number
    ("On veut ouvrir une nouvelle usine et créer une vingtaine d'emplois",
     {"jobs": 20, "headcount": None, "project_types": ["implantation", "recrutement"]}),
    ("une PME d'une cinquantaine de salariés à Lens", {"headcount": 50, "city": "Lens"}),
    ("a big group that plans to hire over 100 people", {"jobs": 100, "headcount": None}),
    ("construire une usine a Valenciennes avec 60 emplois",
     {"jobs": 60, "headcount": None, "city": "Valenciennes"}),
    ("we plan a plant in Valenciennes with 60 jobs", {"jobs": 60, "headcount": None}),
    ("Made in France textile, in Tourcoing",
     {"city": "Tourcoing", "sector": "textile", "project_types": ["relocalisation"]}),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_extraction(text: str, expected: dict[str, Any]) -> None:
    profile = ProfileExtractor.load().extract(text).model_dump()
    for key, value in expected.items():
        if key == "project_types":
            assert set(value) <= set(profile[key]) if value else profile[key] == [], (
                key, profile)
        else:
            assert profile[key] == value, (key, profile)


def test_size_classes() -> None:
    assert [size_from_headcount(n) for n in (0, 9, 10, 249, 250, 4999, 5000)] == [
        "TPE", "TPE", "PME", "PME", "ETI", "ETI", "GE"]
