"""A demo runner with six weeks of realistic data, and their therapist, for trying the app
(``strideguard demo``)."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from strideguard.accounts import passwords
from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.plan import service as plan_service
from strideguard.timeutil import local_today
from strideguard.training.models import Checkin, Run, Shoe

DEMO_TZ = "Europe/Berlin"


def create_demo_runner(email: str, password: str) -> User:
    """(Re)create the demo runner: four steady weeks, a 35% jump the week after, then pain
    5/10 after a run two days ago (a two-day rest), pain settling since — so today the care
    plan starts the graded return, and its history shows the whole story. The weeks count
    back from the week of that run, so the jump week is whole on every day of the week."""
    existing = db.session.execute(select(User).where(func.lower(User.email) == email.lower())).scalar_one_or_none()
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
    user = User(
        email=email.lower(), password_hash=passwords.hash_password(password), timezone=DEMO_TZ,
        units="km", conditions=["runners_knee"], display_name="Sam Demo",
        therapist={"name": "Alex Physio", "phone": "+49 30 1234567", "email": "alex@example.org",
                   "booking_url": "https://example.org/book"},
    )
    db.session.add(user)
    db.session.flush()
    shoe = Shoe(user_id=user.id, name="Daily trainer", limit_m=800_000)
    db.session.add(shoe)
    db.session.flush()

    rng = random.Random(42)  # nosec B311 # reproducible demo data, not security
    today = local_today(DEMO_TZ)
    flare = today - timedelta(days=2)  # the run after which the knee hurt: 5/10
    first_monday = flare - timedelta(days=flare.weekday(), weeks=5)
    day = first_monday
    while day <= today:
        week = (day - first_monday).days // 7  # 0-3 steady, 4 the jump, 5 the flare's week (6: this one)
        jump = week == 4
        if day.weekday() in (1, 3, 5, 6) and day < flare or day == flare:
            km = (3.0 + 0.2 * min(week, 3)) * (1.35 if jump else 1.0) * rng.uniform(0.98, 1.02)
            if day.weekday() == 6:
                km *= 1.5
            pace_s_per_km = rng.uniform(330, 360)
            sore = jump or day == flare
            db.session.add(Run(
                user_id=user.id, uuid=str(uuid.UUID(int=rng.getrandbits(128))), date=day,
                distance_m=round(km * 1000), duration_s=round(km * pace_s_per_km),
                pain_during=(rng.randint(2, 3) if sore else rng.randint(0, 1)),
                pain_after=5 if day == flare else (rng.randint(2, 3) if sore else rng.randint(0, 1)),
                pain_onset_m=(round(km * 1000 * 0.5) if sore else None),
                surface=rng.choice(["road", "road", "trail"]), shoe_id=shoe.id,
            ))
        if day > flare:
            pain = 2 if day < today else 1  # settling: two check-ins within the session ceiling (2/10)
        else:
            pain = rng.randint(2, 3) if jump else rng.randint(0, 1)
        db.session.add(Checkin(
            user_id=user.id, date=day, pain=pain, morning_pain=max(0, pain - 1),
            location="around_kneecap" if pain else None, side="right" if pain else None,
            answers={},
        ))
        day += timedelta(days=1)
    db.session.flush()
    plan_service.refresh(user, first_monday, today)
    db.session.commit()
    return user


def create_demo_therapist(email: str, password: str, patient: User) -> User:
    """(Re)create the demo therapist ("Alex Physio"), with the demo runner as a patient who
    shared their data (a care link and its access-log entry)."""
    from strideguard.clinic.models import CareLink
    from strideguard.clinic.sharing import log

    existing = db.session.execute(select(User).where(func.lower(User.email) == email.lower())).scalar_one_or_none()
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
    therapist = User(email=email.lower(), password_hash=passwords.hash_password(password), timezone=DEMO_TZ,
                     units="km", conditions=[], role="therapist", display_name="Alex Physio")
    db.session.add(therapist)
    db.session.flush()
    db.session.add(CareLink(user_id=patient.id, therapist_id=therapist.id))
    log(patient.id, therapist, "access_granted")
    db.session.commit()
    return therapist
