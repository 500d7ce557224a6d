"""Badges (工牌) for employees and operators: the employee form, a linked operator, backups and the key.

A badge is stored only as its keyed hash (kiosk.badges); these tests check
what a supervisor, an operator at the sign-in screen and whoever restores a
backup would notice.
"""
from __future__ import annotations

import io
import re
import shutil

import pytest
from sqlalchemy import select

from kiosk import badges, create_app, people
from kiosk.backup import read_keys
from kiosk.domain.errors import DomainError
from kiosk.extensions import db
from kiosk.models import Employee

from tests.test_backup import sqlite_app  # noqa: F401 - the SQLite app every backup test copies

HX = {"HX-Request": "true"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def form_of(employee: Employee, **changes) -> dict:
    """The employee form as the edit page serves it, with ``changes``."""
    data = {"staff_no": employee.staff_no, "name": employee.name, "department_id": employee.department_id,
            "new_department": "", "position": employee.position or "", "phone": employee.phone or "",
            "kind": employee.kind, "uniform_no": employee.uniform_no or "", "size": employee.size or "",
            "badge": ""}
    data.update(changes)
    return data


def badge_of(employee_id: int) -> str | None:
    db.session.expire_all()
    return db.session.get(Employee, employee_id).badge_hash


@pytest.fixture
def zhang(make):
    employee = make.employee("张三", staff_no="E10001", uniform_no="3001")
    db.session.commit()
    return employee


# --- the employee form --------------------------------------------------------------

def test_a_badge_scanned_into_the_form_names_the_person_and_the_page_shows_only_that_one_is_set(
        client, login_as, zhang):
    login_as("supervisor")
    edit = f"/registry/employees/{zhang.id}/edit"
    page = text_of(client.get(edit))
    assert 'data-badge="none"' in page and "No badge registered" in page
    badge_input = re.search(r'<input[^>]*name="badge"[^>]*>', page).group(0)
    assert "data-scan-into" in badge_input and 'value=""' in badge_input

    response = client.post(edit, data=form_of(zhang, badge=" ｃａｒｄ-7 "))  # full width, as an IME types it
    assert response.status_code == 302

    assert badge_of(zhang.id) == badges.digest("CARD-7")
    assert people.find_by_code(db.session, "card-7").id == zhang.id
    page = text_of(client.get(edit))
    assert 'data-badge="set"' in page and "Badge registered" in page
    assert 'data-testid="employee-badge-revoke"' in page
    assert "CARD-7" not in page.upper(), "the page never shows a badge code"


def test_a_new_person_gets_their_badge_with_the_form(client, login_as, make):
    dept = make.department("客房部")
    db.session.commit()
    login_as("supervisor")
    data = {"staff_no": "E90001", "name": "李四", "department_id": dept.id, "new_department": "", "position": "",
            "phone": "", "kind": "regular", "uniform_no": "", "size": "", "badge": "CARD-NEW"}
    assert client.post("/registry/employees/new", data=data).status_code == 302
    assert people.find_by_code(db.session, "CARD-NEW").staff_no == "E90001"


def test_saving_the_form_without_a_scan_keeps_the_badge_and_a_new_scan_replaces_it(client, login_as, make):
    employee = make.employee("张三", badge="CARD-1")
    db.session.commit()
    login_as("supervisor")
    edit = f"/registry/employees/{employee.id}/edit"

    assert client.post(edit, data=form_of(employee, position="领班")).status_code == 302
    assert badge_of(employee.id) == badges.digest("CARD-1")
    assert client.post(edit, data=form_of(employee, badge="card-1")).status_code == 302  # the same again
    assert badge_of(employee.id) == badges.digest("CARD-1")

    assert client.post(edit, data=form_of(employee, badge="CARD-2")).status_code == 302
    assert people.find_by_code(db.session, "CARD-1") is None
    assert people.find_by_code(db.session, "CARD-2").id == employee.id


def test_a_badge_of_another_employee_or_an_operator_is_refused_on_the_form(client, login_as, make, zhang):
    make.employee("王五", staff_no="E20002", badge="CARD-W")
    make.user("王收发", badge="CARD-OP")
    db.session.commit()
    login_as("supervisor")
    edit = f"/registry/employees/{zhang.id}/edit"

    for code, who in (("card-w", "This badge already belongs to 王五 (E20002)."),
                      ("CARD-OP", "This badge already belongs to the operator 王收发.")):
        response = client.post(edit, data=form_of(zhang, badge=code, name="张三丰"), headers=HX)
        body = text_of(response)
        assert response.status_code == 200
        assert re.search(r'class="field has-error" data-field="badge"', body)
        assert who in body
        assert code.upper() not in body.upper(), "a refused form does not echo the code"
        db.session.expire_all()
        assert (zhang.name, zhang.badge_hash) == ("张三", None), "nothing is written"


def test_a_form_refused_for_another_field_does_not_echo_the_scanned_code(client, login_as, zhang):
    login_as("supervisor")
    response = client.post(f"/registry/employees/{zhang.id}/edit", data=form_of(zhang, name=" ", badge="CARD-9"))
    body = text_of(response)
    assert response.status_code == 200 and 'has-error" data-field="name"' in body
    assert "CARD-9" not in body
    assert badge_of(zhang.id) is None


def test_a_revoked_badge_names_nobody_and_the_page_says_none_is_set(client, login_as, make):
    employee = make.employee("张三", badge="CARD-1")
    db.session.commit()
    login_as("supervisor")

    response = client.post(f"/registry/employees/{employee.id}/badge/revoke")
    assert response.status_code == 302
    assert badge_of(employee.id) is None
    assert people.find_by_code(db.session, "CARD-1") is None
    page = text_of(client.get(response.headers["Location"]))
    assert "notice-success" in page and 'data-badge="none"' in page
    assert 'data-testid="employee-badge-revoke"' not in page

    again = client.post(f"/registry/employees/{employee.id}/badge/revoke", headers=HX)
    assert again.status_code == 204  # nothing to revoke: a warning, no error page
    assert "notice-warning" in text_of(client.get(f"/registry/employees/{employee.id}/edit"))


def test_a_clerk_can_neither_give_nor_revoke_a_badge(client, login_as, make):
    employee = make.employee("张三", badge="CARD-1")
    db.session.commit()
    login_as("clerk")
    assert client.post(f"/registry/employees/{employee.id}/badge/revoke").status_code == 403
    assert client.post(f"/registry/employees/{employee.id}/edit",
                       data=form_of(employee, badge="CARD-2")).status_code == 403
    assert badge_of(employee.id) == badges.digest("CARD-1")


def test_the_scanners_enter_in_the_badge_field_does_not_submit_the_form(client):
    """The script the page loads keeps Enter in a data-scan-into field (the browser test drives it)."""
    response = client.get("/static/js/kiosk.js")
    script = text_of(response)
    response.close()
    assert 'input[data-scan-into]' in script and "preventDefault" in script


# --- an operator linked to their employee record -------------------------------------

@pytest.fixture
def linked_operator(make):
    """王收发 works the counter and is an employee too: the operator record points at the employee's."""
    employee = make.employee("王收发", staff_no="E30003", badge="CARD-30")
    operator = make.user("王收发", role="clerk")
    operator.employee_id = employee.id
    db.session.commit()
    return employee, operator


def test_an_operator_linked_to_their_employee_record_signs_in_with_the_employees_badge(
        client, linked_operator):
    employee, operator = linked_operator
    assert operator.badge_hash is None
    assert badges.operator(db.session, "card-30").id == operator.id

    response = client.post("/login/badge", data={"badge": " ｃａｒｄ-30 "})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # signed in
    from kiosk.models import OperatorSession

    db.session.expire_all()
    signed_in = db.session.scalars(select(OperatorSession.user_id).where(OperatorSession.ended_at.is_(None)))
    assert list(signed_in) == [operator.id]


def test_the_linked_operators_badge_still_finds_the_employee_at_the_counter(client, login_as, linked_operator):
    employee, _operator = linked_operator
    assert badges.holder(db.session, "CARD-30").id == employee.id
    login_as("clerk")
    html = text_of(client.post("/issue/employee", data={"who": "card-30"}, headers=HX))
    assert f'data-employee-id="{employee.id}"' in html


def test_the_linked_operators_badge_is_theirs_to_keep_on_the_employee_form(client, login_as, linked_operator):
    """Saving the employee with the badge scanned again is not "somebody else's badge"."""
    employee, operator = linked_operator
    login_as("supervisor")
    response = client.post(f"/registry/employees/{employee.id}/edit", data=form_of(employee, badge="CARD-30"))
    assert response.status_code == 302
    assert badges.operator(db.session, "CARD-30").id == operator.id


def test_a_revoked_employee_badge_no_longer_signs_the_linked_operator_in(client, login_as, linked_operator):
    employee, _operator = linked_operator
    login_as("supervisor")
    client.post(f"/registry/employees/{employee.id}/badge/revoke")
    client.post("/logout")
    client.post("/login/badge", data={"badge": "CARD-30"})
    assert client.get("/").status_code == 302  # back to sign-in


# --- backups carry the key -----------------------------------------------------------

def _restore(tmp_path, monkeypatch, copy, *, badge_key: str | None, name: str):
    """Start a kiosk on a restored copy, in a fresh instance folder holding ``badge_key`` (None: a new key)."""
    instance = tmp_path / f"{name}-instance"
    instance.mkdir()
    if badge_key is not None:
        (instance / "badge_key").write_text(badge_key + "\n")
    database = tmp_path / f"{name}.sqlite3"
    shutil.copy(copy, database)
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("KIOSK_BADGE_KEY", raising=False)
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "TESTING": True,
                       "SECRET_KEY": "test", "BABEL_DEFAULT_LOCALE": "en"})


def test_a_backup_restored_with_its_key_finds_the_badges_person_and_with_another_key_nobody(
        sqlite_app, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    from tests.conftest import Factory

    with sqlite_app.app_context():
        Factory().employee("张三", staff_no="E1", badge="CARD-1")
        Factory().user(role="admin")  # a set-up hotel: without an operator /login leads to the first-run screen
        db.session.commit()
        live_key = sqlite_app.config["KIOSK_BADGE_KEY"]
    folder = tmp_path / "usb"
    folder.mkdir()

    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(folder)])

    assert result.exit_code == 0, result.output
    [copy] = folder.glob("kiosk-*.sqlite3")
    keys = copy.with_suffix(".keys")
    assert f"Keys written to {keys} (owner-only). Keep both files together" in result.output
    assert keys.stat().st_mode & 0o777 == 0o600
    assert read_keys(keys) == {"KIOSK_BADGE_KEY": live_key, "KIOSK_SECRET_KEY": "test"}
    assert b"CARD-1" not in copy.read_bytes(), "the copy holds no working badge code"

    restored = _restore(tmp_path, monkeypatch, copy, badge_key=read_keys(keys)["KIOSK_BADGE_KEY"], name="restored")
    with restored.app_context():
        assert people.find_by_code(db.session, "card-1").staff_no == "E1"
        db.session.remove()
        db.engine.dispose()

    stranger = _restore(tmp_path, monkeypatch, copy, badge_key=None, name="stranger")
    with stranger.app_context():
        assert stranger.config["KIOSK_BADGE_KEY"] != live_key
        assert people.find_by_code(db.session, "CARD-1") is None
        assert people.find_by_code(db.session, "E1").name == "张三"  # the 工号 still works
    assert stranger.test_client().get("/login").status_code == 200  # and the kiosk starts
    with stranger.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_backup_does_not_overwrite_a_keys_file(sqlite_app, tmp_path, monkeypatch):  # noqa: F811
    import kiosk.backup

    monkeypatch.setattr(kiosk.backup, "backup_file_name", lambda now=None, suffix=".sqlite3": f"copy{suffix}")
    (tmp_path / "copy.keys").write_text("yesterday's keys")
    result = sqlite_app.test_cli_runner().invoke(args=["kiosk", "backup", str(tmp_path)])
    assert result.exit_code != 0 and "refusing to overwrite" in result.output
    assert not (tmp_path / "copy.sqlite3").exists()
    assert (tmp_path / "copy.keys").read_text() == "yesterday's keys"


# --- a badge that signs an operator in is managing them -------------------------------

from kiosk.imports.services import import_csv  # noqa: E402
from kiosk.models import OperatorChange, OperatorSession, User  # noqa: E402
from kiosk.operators import services as operator_services  # noqa: E402
from kiosk.operators.services import Actor  # noqa: E402
from tests.conftest import login  # noqa: E402

NOT_YOURS = "your role may not set, replace or revoke it"


@pytest.fixture
def linked_admin(make):
    """The administrator "Admin" is the employee A001 too, and signs in with its badge."""
    employee = make.employee("管理员本人", staff_no="A001", badge="ADMIN-CARD")
    admin = make.user("Admin", role="admin")
    admin.employee_id = employee.id
    db.session.commit()
    return employee, admin


def _signed_in_by_badge(client, code: str) -> int | None:
    """Sign out, scan ``code`` at the sign-in screen: whom it signed in (None: nobody)."""
    client.post("/logout")
    client.post("/login/badge", data={"badge": code})
    if client.get("/").status_code != 200:
        return None
    db.session.expire_all()
    row = db.session.scalar(select(OperatorSession).where(OperatorSession.ended_at.is_(None))
                            .order_by(OperatorSession.id.desc()))
    return row.user_id


def _badge_changes(user) -> list[tuple[str, int | None, str]]:
    db.session.expire_all()
    return [(operator_services.detail(c)["badge"], c.actor_id, c.actor)
            for c in operator_services.history(db.session, db.session.get(User, user.id)) if c.action == "badge"]


def test_a_supervisor_cannot_give_an_admins_employee_record_a_badge_and_sign_in_as_them(
        client, login_as, linked_admin):
    employee, admin = linked_admin
    login_as("supervisor")
    edit = f"/registry/employees/{employee.id}/edit"
    refused = client.post(edit, data=form_of(employee, badge="EVIL-BADGE-1"))
    assert refused.status_code == 200 and NOT_YOURS in text_of(refused)
    assert "Admin" in text_of(refused) and "EVIL-BADGE-1" not in text_of(refused)
    # Not even the badge already on record: a refusal tells nothing about it.
    assert NOT_YOURS in text_of(client.post(edit, data=form_of(employee, badge="ADMIN-CARD")))
    assert badge_of(employee.id) == badges.digest("ADMIN-CARD")
    assert _badge_changes(admin) == []
    assert _signed_in_by_badge(client, "EVIL-BADGE-1") is None
    assert _signed_in_by_badge(client, "ADMIN-CARD") == admin.id


def test_a_supervisor_cannot_revoke_an_admins_badge_but_an_admin_can(client, login_as, linked_admin):
    employee, admin = linked_admin
    login_as("supervisor")
    client.post(f"/registry/employees/{employee.id}/badge/revoke")
    page = text_of(client.get(f"/registry/employees/{employee.id}/edit"))
    assert NOT_YOURS in page and 'data-badge="set"' in page
    assert badge_of(employee.id) == badges.digest("ADMIN-CARD")

    client.post("/logout")
    other_admin = login_as("admin")
    client.post(f"/registry/employees/{employee.id}/badge/revoke")
    assert badge_of(employee.id) is None
    assert _badge_changes(admin) == [("revoked", other_admin, "")]


def test_a_supervisor_gives_a_clerks_employee_record_a_badge_recorded_and_ending_their_sign_ins(
        app, client, login_as, linked_operator):
    employee, clerk = linked_operator
    clerk_tablet = app.test_client()
    assert login(clerk_tablet, clerk.id).status_code == 302 and clerk_tablet.get("/").status_code == 200
    boss = login_as("supervisor")
    for unchanged in ("", "CARD-30"):  # saved without a new badge: nothing to record, nobody signed out
        assert client.post(f"/registry/employees/{employee.id}/edit",
                           data=form_of(employee, badge=unchanged)).status_code == 302
    assert _badge_changes(clerk) == [] and clerk_tablet.get("/").status_code == 200
    response = client.post(f"/registry/employees/{employee.id}/edit", data=form_of(employee, badge="CARD-31"))
    assert response.status_code == 302
    assert _badge_changes(clerk) == [("replaced", boss, "")]
    assert clerk_tablet.get("/").status_code == 302  # the old badge's sign-in is over
    assert _signed_in_by_badge(client, "CARD-31") == clerk.id
    assert _signed_in_by_badge(client, "CARD-30") is None


def test_an_employee_import_by_a_supervisor_cannot_give_an_admins_record_a_badge(
        client, login_as, make, linked_admin):
    employee, admin = linked_admin
    login_as("supervisor")
    csv = ("工号,姓名,部门,工牌\r\nB002,新人,客房部,NEW-1\r\nA001,管理员本人,客房部,EVIL-BADGE-1\r\n").encode()
    page = text_of(client.post("/import/", data={"kind": "employees", "file": (io.BytesIO(csv), "e.csv")}))
    assert NOT_YOURS in page and "EVIL-BADGE-1" not in page
    db.session.expire_all()
    assert badge_of(employee.id) == badges.digest("ADMIN-CARD")
    assert db.session.scalar(select(Employee).where(Employee.staff_no == "B002")) is None  # nothing written
    assert _signed_in_by_badge(client, "EVIL-BADGE-1") is None


def test_the_import_names_row_and_column_and_the_command_line_may_give_any_badge(
        ctx, runner, make, linked_admin, tmp_path):
    employee, admin = linked_admin
    boss = make.user("领班", role="supervisor")
    db.session.commit()
    csv = "工号,姓名,部门,工牌\r\nA001,管理员本人,客房部,NEW-ADMIN-CARD\r\n".encode()
    refused = import_csv(db.session, "employees", csv, user=boss)
    db.session.rollback()
    assert [(p.row, p.column) for p in refused.problems] == [(2, "工牌")]
    assert NOT_YOURS in refused.problems[0].translated(lambda m, **kw: m % kw)
    path = tmp_path / "e.csv"
    path.write_bytes(csv)
    result = runner.invoke(args=["kiosk", "import", "employees", str(path)])
    assert result.exit_code == 0, result.output
    assert badge_of(employee.id) == badges.digest("NEW-ADMIN-CARD")
    [(happened, actor_id, actor)] = _badge_changes(admin)
    assert (happened, actor_id) == ("replaced", None) and actor.startswith("命令行 ")


# --- linking an operator to an employee record cannot get round it --------------------

def test_linking_cannot_hand_a_supervisor_an_admins_sign_in(make, linked_admin):
    employee, admin = linked_admin
    boss = make.user("领班", role="supervisor")
    clerk = make.user("收发员")
    known = make.employee("领班知道的", staff_no="K001", badge="KNOWN-CARD")  # a badge the supervisor set
    actor = Actor(user=boss)
    with pytest.raises(DomainError, match="may not manage"):  # an admin is not theirs to link
        operator_services.link_employee(db.session, actor, admin, "K001")
    with pytest.raises(DomainError, match="already the operator Admin"):  # one operator per record
        operator_services.link_employee(db.session, actor, clerk, "A001")
    with pytest.raises(DomainError, match="already the operator Admin"):
        operator_services.link_employee(db.session, Actor(user=admin), clerk, "A001")
    # Their own clerk, on a record whose badge they know: fine, it is theirs to manage.
    operator_services.link_employee(db.session, actor, clerk, "K001")
    db.session.commit()
    assert badges.operator(db.session, "KNOWN-CARD").id == clerk.id
    assert badges.operator(db.session, "ADMIN-CARD").id == admin.id and admin.employee_id == employee.id
    assert known.id == clerk.employee_id
