"""A demo runner with six weeks of realistic data, for trying the app (``strideguard demo``)."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from strideguard.accounts import passwords
from strideguard.accounts.models import User
from strideguard.extensions import db
from strideguard.timeutil import local_today
from strideguard.training.models import Checkin, Run, Shoe

DEMO_TZ = "Europe/Berlin"


def create_demo_runner(email: str, password: str) -> User:
    """(Re)create the demo runner: 3-4 easy runs a week, a 25% jump last week, pain rising."""
    existing = db.session.execute(select(User).where(func.lower(User.email) == email.lower())).scalar_one_or_none()
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
    user = User(
        email=email.lower(), password_hash=passwords.hash_password(password), timezone=DEMO_TZ,
        units="km", conditions=["runners_knee"],
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
    start = today - timedelta(days=41)
    for offset in range(42):
        day = start + timedelta(days=offset)
        week = offset // 7
        late = offset >= 35  # the last week: more volume, and the knee complains
        if day.weekday() in (1, 3, 5, 6):
            base_km = 6.0 + 0.3 * week
            km = base_km * (1.3 if late else 1.0) * rng.uniform(0.9, 1.1)
            if day.weekday() == 6:
                km *= 1.6
            pace_s_per_km = rng.uniform(330, 360)
            db.session.add(Run(
                user_id=user.id, uuid=str(uuid.UUID(int=rng.getrandbits(128))), date=day,
                distance_m=round(km * 1000), duration_s=round(km * pace_s_per_km),
                pain_during=(rng.randint(2, 4) if late else rng.randint(0, 2)),
                pain_after=(rng.randint(3, 4) if late else rng.randint(0, 2)),
                pain_onset_m=(round(km * 1000 * 0.5) if late else None),
                surface=rng.choice(["road", "road", "trail"]), shoe_id=shoe.id,
            ))
        pain = rng.randint(2, 4) if late else rng.randint(0, 2)
        db.session.add(Checkin(
            user_id=user.id, date=day, pain=pain, morning_pain=max(0, pain - 1),
            location="around_kneecap" if pain else None, side="right" if pain else None,
            answers={},
        ))
    db.session.commit()
    return user
