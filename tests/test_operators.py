"""Operators (kiosk.operators): who may manage whom, the last admin, one-time PINs, badges,
the history of every change; the same rules on the command line (``kiosk user ...``)."""
import json

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from kiosk.auth.services import Policy
from kiosk.domain import pins
from kiosk.domain import roles
from kiosk.domain.errors import DomainError
from kiosk.extensions import db
from kiosk.models import FIRST_PROPERTY, OperatorChange, OperatorSession, User, utcnow
from kiosk.operators import services
from kiosk.operators.services import Actor
from tests.conftest import FAST_HASH, login

POLICY = Policy(hash_method=FAST_HASH)


def _changes(user):
    return [(c.action, json.loads(c.detail)) for c in services.history(db.session, user)][::-1]


# --- who may manage whom ---------------------------------------------------

def test_an_admin_manages_everyone_a_supervisor_clerks_and_ironers_only():
    assert roles.grantable("group_admin") == roles.ROLES
    assert roles.grantable("admin") == roles.HOTEL_ROLES  # not the group's own roles
    assert roles.grantable("supervisor") == ("clerk", "ironer")
    assert roles.grantable("clerk") == () and roles.grantable(None) == ()
    assert roles.may_manage("supervisor", "ironer") and not roles.may_manage("supervisor", "supervisor")
    assert not roles.may_manage("supervisor", "admin") and roles.may_manage("admin", "admin")


def test_a_supervisor_is_refused_above_clerk_and_ironer_and_nothing_changes(make):
    boss = make.user("领班", role="supervisor")
    other = make.user("另一个领班", role="supervisor")
    clerk = make.user("收发员")
    actor = Actor(user=boss)
    with pytest.raises(DomainError, match="may not give the role"):
        services.change_role(db.session, actor, clerk, "admin")
    with pytest.raises(DomainError, match="may not give the role"):
        services.change_role(db.session, actor, clerk, "supervisor")
    with pytest.raises(DomainError, match="may not manage"):
        services.reset_pin(db.session, actor, other, hash_method=FAST_HASH)
    with pytest.raises(DomainError, match="may not manage"):
        services.deactivate(db.session, actor, other)
    with pytest.raises(DomainError, match="may not give the role"):
        services.add_operator(db.session, actor, "新管理员", "admin", "2580", hash_method=FAST_HASH)
    assert clerk.role == "clerk" and other.active
    assert services.change_role(db.session, actor, clerk, "ironer") and clerk.role == "ironer"
    assert db.session.scalar(select(func.count(OperatorChange.id))) == 1


# --- adding, role, PIN -----------------------------------------------------

def test_an_operator_added_must_choose_their_own_pin_and_the_change_is_recorded(make):
    admin = make.user("管理员", role="admin")
    user = services.add_operator(db.session, Actor(user=admin), "  周玥 ", "clerk", "2580", hash_method=FAST_HASH)
    assert user.name == "周玥" and user.must_change_pin and check_password_hash(user.pin_hash, "2580")
    [change] = services.history(db.session, user)
    assert (change.action, change.actor_id, json.loads(change.detail)) == ("added", admin.id,
                                                                          {"role": "clerk", "badge": False})
    with pytest.raises(DomainError, match="four digits in a row"):
        services.add_operator(db.session, Actor(user=admin), "王芳", "clerk", "1234", hash_method=FAST_HASH)


def test_a_reset_gives_a_one_time_pin_that_passes_the_policy_must_be_replaced_and_is_never_recorded(make):
    admin, clerk = make.user(role="admin"), make.user(pin="2580")
    clerk.failed_attempts, clerk.locked_until = 3, utcnow()
    pin = services.reset_pin(db.session, Actor(user=admin), clerk, hash_method=FAST_HASH)
    assert pins.refusal(pin) is None and check_password_hash(clerk.pin_hash, pin)
    assert not check_password_hash(clerk.pin_hash, "2580")
    assert clerk.must_change_pin and clerk.failed_attempts == 0 and clerk.locked_until is None
    assert _changes(clerk) == [("pin_reset", {})]
    stored = " ".join(f"{c.detail} {c.actor}" for c in db.session.scalars(select(OperatorChange)))
    assert pin not in stored and "2580" not in stored


def test_a_pin_role_or_status_change_ends_the_operators_sign_ins_on_the_server(make):
    admin, clerk = make.user(role="admin"), make.user()
    for n, token in enumerate("abc"):
        db.session.add(OperatorSession(token_hash=token * 64, user_id=clerk.id, property_id=FIRST_PROPERTY))
    db.session.flush()

    def open_sessions():
        return db.session.scalar(select(func.count(OperatorSession.id)).where(
            OperatorSession.user_id == clerk.id, OperatorSession.ended_at.is_(None)))

    services.reset_pin(db.session, Actor(user=admin), clerk, hash_method=FAST_HASH)
    assert open_sessions() == 0
    db.session.add(OperatorSession(token_hash="d" * 64, user_id=clerk.id, property_id=FIRST_PROPERTY))
    services.change_role(db.session, Actor(user=admin), clerk, "ironer")
    assert open_sessions() == 0
    db.session.add(OperatorSession(token_hash="e" * 64, user_id=clerk.id, property_id=FIRST_PROPERTY))
    services.deactivate(db.session, Actor(user=admin), clerk)
    assert open_sessions() == 0
    assert {s.ended_reason for s in db.session.scalars(select(OperatorSession))} == {"pin", "role", "deactivated"}


def test_choosing_your_own_pin_needs_the_current_one_a_good_new_one_and_not_the_old(make):
    clerk = make.user(pin="2580")
    clerk.must_change_pin = True
    with pytest.raises(DomainError, match="Wrong PIN"):
        services.change_own_pin(db.session, clerk, "0000", "4826", policy=POLICY)
    assert clerk.failed_attempts == 1  # counted as at sign-in
    with pytest.raises(DomainError, match="two digits taking turns"):
        services.change_own_pin(db.session, clerk, "2580", "1212", policy=POLICY)
    with pytest.raises(DomainError, match="not be the old one"):
        services.change_own_pin(db.session, clerk, "2580", "2580", policy=POLICY)
    assert clerk.must_change_pin
    services.change_own_pin(db.session, clerk, "2580", "4826", policy=POLICY)
    assert not clerk.must_change_pin and check_password_hash(clerk.pin_hash, "4826")
    assert [(c.action, c.actor_id) for c in services.history(db.session, clerk)] == [("pin_changed", clerk.id)]


# --- the last admin --------------------------------------------------------

def test_the_last_active_admin_cannot_be_deactivated_or_demoted(make):
    first = make.user("管理员甲", role="admin")
    second = make.user("管理员乙", role="admin")
    services.deactivate(db.session, Actor(user=first), second)
    with pytest.raises(DomainError, match="last active administrator"):
        services.change_role(db.session, Actor(user=first), first, "supervisor")
    with pytest.raises(DomainError, match="last active administrator"):
        services.deactivate(db.session, Actor.command_line("root@host"), first)
    with pytest.raises(DomainError, match="cannot deactivate yourself"):
        services.deactivate(db.session, Actor(user=first), first)
    assert first.role == "admin" and first.active
    services.reactivate(db.session, Actor(user=first), second)
    assert services.change_role(db.session, Actor(user=second), first, "supervisor")
    assert first.role == "supervisor"


# --- badges and the employee record ----------------------------------------

def test_a_badge_names_one_person_and_can_be_replaced_and_revoked(make):
    from kiosk import badges

    admin, clerk, other = make.user(role="admin"), make.user(), make.user()
    make.employee("张三", badge="B-EMP")
    actor = Actor(user=admin)
    assert services.set_badge(db.session, actor, clerk, "b-001") == "assigned"
    assert badges.operator(db.session, "B-001") is clerk
    with pytest.raises(DomainError, match="already belongs to the operator"):
        services.set_badge(db.session, actor, other, "B-001")
    with pytest.raises(DomainError, match="already belongs to 张三"):
        services.set_badge(db.session, actor, other, "B-EMP")
    assert services.set_badge(db.session, actor, clerk, "B-002") == "replaced"
    assert badges.operator(db.session, "B-001") is None and badges.operator(db.session, "B-002") is clerk
    assert services.revoke_badge(db.session, actor, clerk) and clerk.badge_hash is None
    assert not services.revoke_badge(db.session, actor, clerk)
    assert [d for _, d in _changes(clerk)] == [{"badge": "assigned", "on": "operator"},
                                              {"badge": "replaced", "on": "operator"}, {"badge": "revoked"}]
    assert "B-00" not in " ".join(c.detail for c in db.session.scalars(select(OperatorChange)))


def test_an_operator_linked_to_their_employee_record_shares_its_badge(make):
    from kiosk import badges

    admin, clerk = make.user(role="admin"), make.user(badge="OWN-1")
    person = make.employee("李四", staff_no="E777")
    actor = Actor(user=admin)
    services.link_employee(db.session, actor, clerk, "e777")  # typed in lower case
    assert clerk.employee is person and clerk.badge_hash is None
    assert person.badge_hash == badges.digest("OWN-1") and badges.operator(db.session, "OWN-1") is clerk
    assert services.set_badge(db.session, actor, clerk, "NEW-9") == "replaced"
    assert person.badge_hash == badges.digest("NEW-9") and badges.operator(db.session, "NEW-9") is clerk
    assert services.has_badge(clerk)
    with pytest.raises(DomainError, match="already the operator"):
        services.link_employee(db.session, actor, make.user(), "E777")
    with pytest.raises(DomainError, match="no employee with the staff no"):
        services.link_employee(db.session, actor, clerk, "E000")
    services.link_employee(db.session, actor, clerk, "")
    assert clerk.employee_id is None
    assert [d for a, d in _changes(clerk) if a == "employee"] == [{"staff_no": "E777"}, {"staff_no": None}]


# --- deactivate, unlock ----------------------------------------------------

def test_a_deactivated_operator_cannot_sign_in_and_keeps_their_history(app, make, client):
    admin, clerk = make.user(role="admin"), make.user(pin="2580")
    services.deactivate(db.session, Actor(user=admin), clerk)
    db.session.commit()
    assert clerk.deactivated_at is not None
    assert "deactivated" in login(client, clerk.id, "2580").get_data(as_text=True)
    services.reactivate(db.session, Actor(user=admin), clerk)
    db.session.commit()
    assert clerk.deactivated_at is None and login(client, clerk.id, "2580").status_code == 302
    assert [a for a, _ in _changes(clerk)] == ["deactivated", "reactivated"]


def test_unlock_lifts_the_lock_at_once(app, make, client):
    admin, clerk = make.user(role="admin"), make.user(pin="2580")
    for _ in range(5):
        login(client, clerk.id, "0000")
    db.session.refresh(clerk)
    assert services.is_locked(clerk) and "locked" in login(client, clerk.id, "2580").get_data(as_text=True)
    assert services.unlock(db.session, Actor(user=admin), clerk)
    db.session.commit()
    assert login(client, clerk.id, "2580").status_code == 302
    assert _changes(clerk) == [("unlocked", {"locked": True})]


# --- the command line ------------------------------------------------------

def _cli(runner, *args, input=None):
    return runner.invoke(args=["kiosk", "user", *args], input=input)


def _user(name):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.name == name))


def test_the_command_line_adds_lists_and_changes_operators_recorded_as_the_command_line(ctx, runner, make):
    make.user("管理员", role="admin")
    db.session.commit()
    assert _cli(runner, "add", "周玥", "--role", "clerk", "--pin", "2580", "--badge", "ZY-1").exit_code == 0
    user = _user("周玥")
    assert user.must_change_pin
    assert _cli(runner, "set-role", "周玥", "supervisor").output.strip() == "周玥 is now Supervisor."
    result = _cli(runner, "set-pin", "周玥", input="4826\n4826\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(_user("周玥").pin_hash, "4826") and _user("周玥").must_change_pin
    assert _cli(runner, "set-badge", "周玥", "--revoke").exit_code == 0 and _user("周玥").badge_hash is None
    assert _cli(runner, "set-badge", "周玥", "--badge", "ZY-2").output.strip() == "Badge of 周玥: assigned."
    assert _cli(runner, "deactivate", "周玥").exit_code == 0 and not _user("周玥").active
    listing = _cli(runner, "list").output
    assert "周玥\tSupervisor\tBadge: Yes\tLast sign-in: Never\tMust choose a new PIN\tDeactivated" in listing
    assert "管理员\tAdministrator\tBadge: No" in listing
    changes = services.history(db.session, _user("周玥"))
    assert [c.action for c in changes][::-1] == ["added", "role", "pin_set", "badge", "badge", "deactivated"]
    assert all(c.actor_id is None and c.actor.startswith("命令行 ") and "@" in c.actor for c in changes)
    assert "4826" not in "".join(c.detail for c in changes)


def test_the_command_line_asks_for_a_pin_and_a_badge_hidden_when_left_out(ctx, runner, make):
    """Out of the shell's history: the PIN asked twice, the badge scanned at the prompt."""
    make.user("管理员", role="admin")
    db.session.commit()
    result = _cli(runner, "add", "吴敏", "--role", "clerk", input="4826\n4826\n")
    assert result.exit_code == 0, result.output
    assert "4826" not in result.output  # hidden
    assert check_password_hash(_user("吴敏").pin_hash, "4826")
    result = _cli(runner, "set-badge", "吴敏", input="wm-badge-9\n")
    assert result.exit_code == 0 and "WM-BADGE-9" not in result.output.upper()
    from kiosk import badges

    assert badges.operator(db.session, "WM-BADGE-9").name == "吴敏"


def test_the_command_line_unlocks(ctx, runner, make):
    clerk = make.user("小王")
    clerk.failed_attempts, clerk.locked_until = 2, utcnow().replace(year=2999)
    db.session.commit()
    assert _cli(runner, "unlock", "小王").output.strip() == "小王 unlocked."
    assert _user("小王").locked_until is None
    assert _cli(runner, "unlock", "小王").output.strip() == "小王 was not locked."


@pytest.mark.parametrize("args, message", [
    (["set-pin", "小王", "--pin", "1111"], "one digit repeated"),
    (["set-pin", "无名", "--pin", "2580"], "no operator called 无名"),
    (["set-role", "管理员", "clerk"], "last active administrator"),
    (["deactivate", "管理员"], "last active administrator"),
    (["set-badge", "小王", "--badge", "X-1", "--revoke"], "either --badge CODE or --revoke"),
    (["set-badge", "小王", "--badge", "ADM-1"], "already belongs to the operator 管理员"),
    (["add", "小王", "--role", "clerk", "--pin", "2580"], "already a user called 小王"),
    (["add", "新人", "--role", "clerk", "--pin", "9876"], "four digits in a row"),
])
def test_the_command_line_refuses_on_one_line_and_changes_nothing(ctx, runner, make, args, message):
    make.user("管理员", role="admin", badge="ADM-1")
    make.user("小王")
    db.session.commit()
    result = _cli(runner, *args)
    assert result.exit_code == 1
    assert message in result.output and result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert db.session.scalar(select(func.count(OperatorChange.id))) == 0
    assert _user("管理员").role == "admin" and _user("管理员").active


# --- the screens -----------------------------------------------------------

def _signed_in(app, make, role, pin="2580", **fields):
    user = make.user(role=role, pin=pin, **fields)
    db.session.commit()
    client = app.test_client()
    assert login(client, user.id, pin).status_code == 302
    return client, user


def test_only_admins_and_supervisors_open_the_operators_screen(app, make):
    clerk_client, _ = _signed_in(app, make, "clerk")
    assert clerk_client.get("/operators/").status_code == 403
    assert clerk_client.post("/operators/new", data={"name": "x"}).status_code == 403
    boss_client, _ = _signed_in(app, make, "supervisor")
    page = boss_client.get("/operators/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'data-station="operators.index"' in boss_client.get("/").get_data(as_text=True)


def test_an_admin_adds_an_operator_from_the_screen_who_then_must_choose_a_pin(app, make):
    client, _ = _signed_in(app, make, "admin")
    refused = client.post("/operators/new", data={"name": "周玥", "role": "clerk", "pin": "1234", "pin_again": "1234"})
    assert "four digits in a row" in refused.get_data(as_text=True)
    response = client.post("/operators/new", data={"name": "周玥", "role": "clerk", "pin": "4826",
                                                   "pin_again": "4826", "badge": "ZY-1"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.name == "周玥"))
    assert user.must_change_pin and services.has_badge(user)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "They choose their own PIN at the first sign-in" in page and 'data-action="added"' in page
    listing = client.get("/operators/").get_data(as_text=True)
    assert 'data-operator="周玥"' in listing


def test_a_supervisor_is_not_offered_and_not_given_a_role_above_clerk(app, make):
    client, boss = _signed_in(app, make, "supervisor")
    clerk = make.user("收发员")
    admin = make.user("管理员", role="admin")
    db.session.commit()
    page = client.get(f"/operators/{clerk.id}").get_data(as_text=True)
    assert 'value="ironer"' in page and 'value="admin"' not in page and 'value="supervisor"' not in page
    refused = client.post(f"/operators/{clerk.id}/role", data={"role": "admin"}, follow_redirects=True)
    assert "Choose a role your role may give" in refused.get_data(as_text=True)
    refused = client.post(f"/operators/{admin.id}/reset-pin", follow_redirects=True)
    assert "may not manage 管理员" in refused.get_data(as_text=True)
    assert "may not change 管理员" in client.get(f"/operators/{admin.id}").get_data(as_text=True)
    db.session.expire_all()
    assert clerk.role == "clerk" and db.session.get(User, admin.id).must_change_pin is False
    assert client.post(f"/operators/{clerk.id}/role", data={"role": "ironer"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, clerk.id).role == "ironer"


def test_a_reset_pin_is_shown_once_and_the_operator_must_change_it_everywhere(app, make):
    admin_client, admin = _signed_in(app, make, "admin")
    clerk = make.user("小王", badge="XW-1")
    db.session.commit()
    answer = admin_client.post(f"/operators/{clerk.id}/reset-pin")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    html = answer.get_data(as_text=True)
    pin = html.split('data-testid="one-time-pin">')[1].split("<")[0]
    assert pins.refusal(pin) is None
    assert pin not in admin_client.get(f"/operators/{clerk.id}").get_data(as_text=True)  # shown once

    clerk_client = app.test_client()
    assert login(clerk_client, clerk.id, pin).headers["Location"] == "/"
    for url in ("/", "/issue/", "/operators/"):
        response = clerk_client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/operators/my-pin", url
    assert clerk_client.get("/", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/operators/my-pin"
    screen = clerk_client.get("/operators/my-pin").get_data(as_text=True)
    assert "Your PIN was set by someone else" in screen

    by_badge = app.test_client()
    by_badge.post("/login/badge", data={"badge": "XW-1"})
    assert by_badge.get("/").headers["Location"] == "/operators/my-pin"

    refused = clerk_client.post("/operators/my-pin", data={"current": pin, "new": "9876", "new_again": "9876"})
    assert "four digits in a row" in refused.get_data(as_text=True)
    refused = clerk_client.post("/operators/my-pin", data={"current": pin, "new": pin, "new_again": pin})
    assert "must not be the old one" in refused.get_data(as_text=True)
    refused = clerk_client.post("/operators/my-pin", data={"current": pin, "new": "4826", "new_again": "4827"})
    assert "The two PINs differ" in refused.get_data(as_text=True)
    done = clerk_client.post("/operators/my-pin", data={"current": pin, "new": "4826", "new_again": "4826"})
    assert done.headers["Location"] == "/login"  # signed out: in again with the new PIN
    assert login(clerk_client, clerk.id, "4826").status_code == 302
    assert clerk_client.get("/").status_code == 200
    db.session.expire_all()
    assert [a for a, _ in _changes(db.session.get(User, clerk.id))] == ["pin_reset", "pin_changed"]


def test_badge_link_deactivate_and_unlock_from_the_operators_page(app, make):
    client, admin = _signed_in(app, make, "admin")
    clerk = make.user("小李", pin="2580")
    make.employee("李四", staff_no="E123")
    clerk.locked_until = utcnow().replace(year=2999)
    db.session.commit()
    base = f"/operators/{clerk.id}"
    assert "Badge assigned to 小李" in client.post(f"{base}/badge", data={"badge": "XL-9"},
                                                  follow_redirects=True).get_data(as_text=True)
    assert "already belongs" in client.post(f"/operators/{admin.id}/badge", data={"badge": "XL-9"},
                                            follow_redirects=True).get_data(as_text=True)
    page = client.post(f"{base}/employee", data={"staff_no": "e123"}, follow_redirects=True).get_data(as_text=True)
    assert "李四 (E123)" in page
    assert client.post(f"{base}/unlock").status_code == 302
    assert client.post(f"{base}/badge/revoke").status_code == 302
    assert client.post(f"{base}/deactivate").status_code == 302
    page = client.get(base).get_data(as_text=True)
    actions = [a for a, _ in _changes(db.session.get(User, clerk.id))]
    assert actions == ["badge", "employee", "unlocked", "badge", "deactivated"]
    assert 'data-testid="reactivate"' in page and f">{admin.name}<" in page
    assert "deactivated" in login(app.test_client(), clerk.id, "2580").get_data(as_text=True)
    refused = client.post(f"/operators/{admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate yourself" in refused.get_data(as_text=True)
    assert client.get("/operators/999999").status_code == 404


# --- two administrators removing each other at once -----------------------------

@pytest.fixture
def slow_operator_changes():
    """Hold each flush of an operator change for a moment, so two requests both read the
    administrators before either writes (without a lock taken first, both pass the check)."""
    import time

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    def hold(session, flush_context, instances):
        if any(isinstance(obj, OperatorChange) for obj in session.new):
            time.sleep(0.3)

    event.listen(Session, "before_flush", hold)
    yield
    event.remove(Session, "before_flush", hold)


@pytest.mark.parametrize("path, data", [("deactivate", {}), ("role", {"role": "supervisor"})])
def test_two_admins_removing_each_other_at_once_leave_one_active_admin(app, slow_operator_changes, path, data):
    import threading

    with app.app_context():
        from tests.conftest import Factory

        ids = [Factory().user(f"管理员{n}", role="admin").id for n in "甲乙"]
        db.session.commit()
    clients = []
    for user_id in ids:
        client = app.test_client()
        assert login(client, user_id).status_code == 302
        clients.append(client)
    barrier = threading.Barrier(2)

    def remove_the_other(i):
        barrier.wait()
        clients[i].post(f"/operators/{ids[1 - i]}/{path}", data=data)

    threads = [threading.Thread(target=remove_the_other, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with app.app_context():
        admins = db.session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True))).all()
        done = db.session.scalar(select(func.count(OperatorChange.id)).where(OperatorChange.action != "added"))
    assert len(admins) == 1 and done == 1
