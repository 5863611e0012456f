"""sObject collections (composite/sobjects): many records in one call, allOrNone or each on
its own."""

from __future__ import annotations

from salesforce_support import API, RunningSalesforce

COLLECTION = f"{API}/composite/sobjects"


def accounts(*names: object) -> list[dict[str, object]]:
    return [{"attributes": {"type": "Account"}, "Name": n} for n in names]


def test_create_update_delete_each_on_its_own(sf: RunningSalesforce) -> None:
    created = sf.client.post(
        COLLECTION,
        json={"records": [*accounts("A", None), {"attributes": {"type": "Case"}, "Subject": "c"}]},
        headers=sf.admin,
    ).json()
    first, failed, case = created
    assert first["success"] and first["id"].startswith("001")
    assert failed["success"] is False
    assert failed["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert case["success"] and case["id"].startswith("500")
    updated = sf.client.patch(
        COLLECTION,
        json={
            "records": [
                {"attributes": {"type": "Account"}, "Id": first["id"], "Industry": "Energy"},
                {"attributes": {"type": "Case"}, "Id": case["id"], "Status": "Nope"},
            ]
        },
        headers=sf.admin,
    ).json()
    assert updated[0] == {"id": first["id"], "success": True, "errors": []}
    assert updated[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    account = sf.client.get(f"{API}/sobjects/Account/{first['id']}", headers=sf.admin).json()
    assert account["Industry"] == "Energy"
    deleted = sf.client.delete(
        COLLECTION, params={"ids": f"{first['id']},{case['id']},bogus"}, headers=sf.admin
    ).json()
    assert [d["success"] for d in deleted] == [True, True, False]
    assert deleted[2]["errors"][0]["statusCode"] == "MALFORMED_ID"


def test_all_or_none_rolls_back_every_record(sf: RunningSalesforce) -> None:
    answer = sf.client.post(
        COLLECTION,
        json={"allOrNone": True, "records": accounts("Kept?", "x" * 300, "Later")},
        headers=sf.admin,
    ).json()
    assert [a["success"] for a in answer] == [False, False, False]
    assert answer[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert answer[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert answer[2]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    info = sf.client.get(f"{API}/sobjects/Account", headers=sf.admin).json()
    assert info["recentItems"] == []


def test_bad_collections_are_refused_whole(sf: RunningSalesforce) -> None:
    for body in (
        {"records": []},
        {"records": accounts(*range(201))},
        {"records": [{"Name": "no type"}]},
        {"allOrNone": 1, "records": accounts("a")},
    ):
        response = sf.client.post(COLLECTION, json=body, headers=sf.admin)
        assert response.status_code == 400, response.text
        assert isinstance(response.json(), list)
    missing_id = sf.client.patch(COLLECTION, json={"records": accounts("a")}, headers=sf.admin)
    assert missing_id.status_code == 400
    no_ids = sf.client.delete(COLLECTION, headers=sf.admin)
    assert no_ids.status_code == 400
