"""GET /healthz: the hotel's monitoring asks whether the kiosk and its database answer."""
from kiosk import create_app


def test_healthz_answers_200_with_the_database_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok",
                                   "print": {"waiting": 0, "failed": 0, "printer": "unused"}}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path))
    # A SQLite file inside a directory that does not exist cannot be opened.
    app = create_app({"TESTING": True, "KIOSK_PRINT_WORKER": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"
