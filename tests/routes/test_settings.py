import httpx
import psycopg


async def test_settings_lists_the_enabled_devices(http: httpx.AsyncClient, db: psycopg.Connection):
    db.execute(
        "INSERT INTO device (name, kind, vendor_id, product_id, media_kind, enabled) VALUES"
        " ('Test otoscope', 'otoscope', 'abcd', '0001', 'video', true),"
        " ('Retired scope', 'otoscope', 'abcd', '0002', 'video', false)"
    )
    try:
        response = await http.get("/settings")
        assert response.status_code == 200
        names = [device["name"] for device in response.json()["devices"]]
        assert "Test otoscope" in names
        assert "Retired scope" not in names
        otoscope = next(d for d in response.json()["devices"] if d["name"] == "Test otoscope")
        assert otoscope | {"id": 0} == {
            "id": 0,
            "name": "Test otoscope",
            "kind": "otoscope",
            "vendor_id": "abcd",
            "product_id": "0001",
            "media_kind": "video",
            "enabled": True,
        }
    finally:
        db.execute("DELETE FROM device WHERE vendor_id = 'abcd'")
