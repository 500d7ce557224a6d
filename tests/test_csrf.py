"""Every POST needs a CSRF token — plain forms and htmx requests alike."""
import re

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db

from .conftest import Factory


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def _token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _row_counts():
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _signed_in_supervisor(client):
    user = Factory().user(role="supervisor", pin="2580")
    db.session.commit()
    response = client.post("/login", data={"user_id": user.id, "pin": "2580",
                                           "csrf_token": _token(client)})
    assert response.status_code == 302
    return user


def test_every_post_without_a_token_is_refused_and_writes_nothing(csrf_app, ctx, client):
    _signed_in_supervisor(client)
    before = _row_counts()
    posts = []
    with csrf_app.test_request_context():
        for rule in csrf_app.url_map.iter_rules():
            if "POST" in rule.methods:
                posts.append(csrf_app.url_for(rule.endpoint, **{a: 1 for a in rule.arguments}))
    assert posts
    for url in posts:
        response = client.post(url, data={"name": "x", "pin": "2580", "user_id": 1})
        assert response.status_code == 400, url
        response = client.post(url, data={"name": "x"}, headers={"HX-Request": "true"})
        assert response.status_code == 400, url
    db.session.expire_all()
    assert _row_counts() == before


def test_refused_post_tells_the_user_in_chinese_that_nothing_was_saved(csrf_app, product_language, ctx, client):
    response = client.post("/login", data={"user_id": 1, "pin": "2580"})
    assert response.status_code == 400
    assert "重试" in response.get_data(as_text=True)


def test_htmx_post_with_the_token_header_is_accepted(csrf_app, ctx, client):
    _signed_in_supervisor(client)
    token = _token(client, "/")
    response = client.post("/language", data={"lang": "en"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session["lang"] == "en"


def test_form_post_with_a_token_from_another_session_is_refused(csrf_app, ctx, client):
    other = csrf_app.test_client()
    user = Factory().user(pin="2580")
    db.session.commit()
    stolen = _token(other)
    response = client.post("/login", data={"user_id": user.id, "pin": "2580", "csrf_token": stolen})
    assert response.status_code == 400
