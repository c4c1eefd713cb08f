"""The built-in exercises as plain rows (PURE): StrideGuard's own write-ups of knee-rehab staples.

Each row holds the fields of ``rehab.library.Exercise`` (which builds ``CORE_EXERCISES`` from
them). Instructions are short steps a runner can follow on a phone; ``conditions`` lists the
built-in condition plugins an exercise is *commonly used for* — never a diagnosis, and no
promise that it helps any one knee. A therapist picks, doses and adapts.
"""

from __future__ import annotations

from typing import Any

RK, ITB, PT, MEN, BUR = "runners_knee", "it_band", "patellar_tendinopathy", "meniscus_tear", "bursitis"


def _row(
    name: str,
    key: str,
    instructions: str,
    trains: tuple[str, ...],
    dose: str,
    sets: int,
    reps: int | None,
    seconds: int | None,
    sides: str,
    equipment: tuple[str, ...] = (),
    conditions: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "id": f"core.{key}", "name": name, "instructions": instructions, "trains": trains,
        "dose": dose, "sets": sets, "reps": reps, "seconds": seconds, "sides": sides,
        "equipment": equipment, "conditions": conditions,
    }


CORE_ROWS: tuple[dict[str, Any], ...] = (
    # -- hips and glutes -----------------------------------------------------------------------
    _row(
        "Side-lying hip abduction", "side_lying_hip_abduction",
        "Lie on your side, bottom knee bent for balance, top leg straight in line with your body. "
        "Point the top toes slightly down and lift the leg to about hand height, heel leading. "
        "Lower it slowly over 2–3 seconds. Keep your hips stacked: do not let the top hip roll back.",
        ("hips", "glutes"), "reps", 3, 12, None, "each", (), (RK, ITB, BUR),
    ),
    _row(
        "Clamshell", "clamshell",
        "Lie on your side with hips and knees bent and your heels together. Keeping the feet "
        "touching, open the top knee as far as you can without your pelvis rolling backwards. "
        "Pause, then close slowly. A loop band just above the knees makes it harder.",
        ("hips", "glutes"), "reps", 3, 15, None, "each", (), (RK, ITB),
    ),
    _row(
        "Banded side steps (monster walk)", "banded_side_steps",
        "Put a loop band around both legs just above the knees. Stand with feet hip-width apart, "
        "knees soft, hips pushed back a little. Step sideways with one foot, keeping the band "
        "tight and your toes pointing forward, then let the other foot follow part of the way. "
        "Take the set's steps one way, then come back the other way.",
        ("hips", "glutes"), "reps", 3, 10, None, "each", ("band",), (RK, ITB),
    ),
    _row(
        "Glute bridge", "glute_bridge",
        "Lie on your back, knees bent, feet flat and hip-width apart. Squeeze your buttocks and "
        "push through your heels to lift your hips until shoulders, hips and knees form a "
        "straight line. Pause, then lower slowly. Keep your lower back from arching.",
        ("glutes", "hamstrings", "core"), "reps", 3, 12, None, "both", (), (RK, ITB, PT, MEN, BUR),
    ),
    _row(
        "Single-leg bridge", "single_leg_bridge",
        "Set up as for a glute bridge, then straighten one leg so both thighs stay level. Push "
        "through the heel of the bent leg to lift your hips, keeping the pelvis level on the side "
        "of the free leg. Lower slowly. Do every repetition on one side, then swap.",
        ("glutes", "hamstrings", "hips"), "reps", 3, 10, None, "each", (), (RK, ITB, PT),
    ),
    # -- knee strength ---------------------------------------------------------------------------
    _row(
        "Step-down (lateral or forward)", "step_down",
        "Stand on one leg on a low step (10–20 cm), the other foot off the side or the front. "
        "Slowly bend the standing knee until the free heel lightly touches the floor, then "
        "straighten back up. Keep the knee in line with your middle toes and the pelvis level. "
        "Use a lower step if it hurts.",
        ("quadriceps", "hips", "balance"), "reps", 3, 10, None, "each", ("step",), (RK, ITB, PT),
    ),
    _row(
        "Lateral step-up", "lateral_step_up",
        "Stand side-on to a low step. Put the near foot on it and push through that heel to "
        "stand up on the step, bringing the other foot up beside it without pushing off from the "
        "floor. Step down slowly with the outside foot. Keep the knee over the middle toes.",
        ("quadriceps", "glutes", "hips"), "reps", 3, 10, None, "each", ("step",), (RK, ITB, PT),
    ),
    _row(
        "Split squat", "split_squat",
        "Stand with one foot a long stride ahead of the other, back heel raised. Lower straight "
        "down until the back knee nearly reaches the floor, then push up through the front foot. "
        "Keep your body upright and the front knee in line with its toes. Hold a chair or wall "
        "for balance if needed. Go only as deep as is comfortable.",
        ("quadriceps", "glutes", "balance"), "reps", 3, 10, None, "each", (), (RK, PT),
    ),
    _row(
        "Mini squat", "mini_squat",
        "Stand with feet hip-width apart, hands on a chair back if you like. Push your hips back "
        "and bend your knees to about a quarter squat, knees over your toes, weight on your heels. "
        "Stand up again by squeezing your buttocks. Stay in a pain-free range.",
        ("quadriceps", "glutes"), "reps", 3, 12, None, "both", ("chair",), (RK, MEN, BUR),
    ),
    _row(
        "Wall sit", "wall_sit",
        "Stand with your back against a wall, feet hip-width apart and about a foot's length in "
        "front of you. Slide down until your knees bend to a comfortable angle — never lower than "
        "thighs level with the floor — and hold still, breathing steadily. Slide back up. Stay "
        "higher if it aches.",
        ("quadriceps", "glutes"), "hold", 1, 3, 30, "both", ("wall",), (RK, PT, BUR),
    ),
    _row(
        "Spanish squat hold", "spanish_squat",
        "Loop a strong band around something solid at knee height and step into it so it sits "
        "behind both knees. Walk back until it is tight, then sit back into a quarter to half "
        "squat with your shins upright, letting the band take your weight. Hold still. The band "
        "lets the thigh work hard while the front of the knee stays fairly unloaded.",
        ("quadriceps",), "hold", 1, 5, 45, "both", ("band",), (PT, RK),
    ),
    _row(
        "Thigh squeeze (quadriceps set)", "quad_set",
        "Sit or lie with your leg straight and a rolled towel under the knee. Tighten the muscle "
        "on the front of the thigh to press the back of the knee down into the towel — the "
        "kneecap slides up a little. Hold, then relax completely before the next one.",
        ("quadriceps",), "hold", 2, 10, 5, "each", ("towel",), (MEN, RK, BUR),
    ),
    _row(
        "Straight-leg raise", "straight_leg_raise",
        "Lie on your back with one knee bent and that foot flat. Tighten the thigh of the "
        "straight leg, then lift it to the height of the other knee. Lower it slowly, keeping the "
        "knee straight the whole way.",
        ("quadriceps", "hips"), "reps", 3, 12, None, "each", (), (MEN, RK, BUR),
    ),
    _row(
        "Terminal knee extension with band", "terminal_knee_extension",
        "Tie a loop band to something solid at knee height and step into it facing the anchor, "
        "the band behind one knee. Let it pull the knee slightly bent, then straighten the knee "
        "fully against it by tightening the thigh. Hold for a second and ease back slowly.",
        ("quadriceps",), "reps", 3, 15, None, "each", ("band",), (RK, MEN),
    ),
    # -- back of the leg -------------------------------------------------------------------------
    _row(
        "Bridge walk-out", "bridge_walkout",
        "Lift into a glute bridge. Keeping your hips up, walk your heels away in small steps "
        "until your knees are nearly straight — or as far as you can keep the hips up — then "
        "walk back in and lower. Stop short of cramping at the back of the thigh.",
        ("hamstrings", "glutes"), "reps", 3, 6, None, "both", (), (RK, PT),
    ),
    _row(
        "Single-leg Romanian deadlift", "single_leg_rdl",
        "Stand on one leg, knee softly bent. Hinge forward at the hip, reaching your hands "
        "towards the floor while the free leg swings back in line with your body, back flat. "
        "Go as far as you can keep your hips level, then stand tall by squeezing your buttock. "
        "Touch a wall for balance at first.",
        ("hamstrings", "glutes", "balance"), "reps", 3, 8, None, "each", (), (RK, ITB, PT),
    ),
    # -- calves and feet -------------------------------------------------------------------------
    _row(
        "Calf raise", "calf_raise",
        "Stand with feet hip-width apart, fingertips on a wall. Rise onto the balls of both feet "
        "as high as you can, pause, then lower slowly over about three seconds. Once easy, do it "
        "with your heels over the edge of a step for more range.",
        ("calves", "feet_ankles"), "reps", 3, 15, None, "both", ("wall",), (RK, ITB, PT, MEN),
    ),
    _row(
        "Single-leg calf raise", "single_leg_calf_raise",
        "Stand on one foot, fingertips on a wall for balance. Rise as high as you can onto the "
        "ball of the foot with the knee straight, then lower slowly. Keep the ankle from rolling "
        "outwards.",
        ("calves", "feet_ankles", "balance"), "reps", 3, 12, None, "each", ("wall",), (RK, ITB, PT),
    ),
    _row(
        "Short foot (arch lift)", "short_foot",
        "Sit with one bare foot flat on the floor. Without curling your toes, draw the ball of "
        "the foot gently towards the heel so the arch lifts. Hold, then relax. Once easy, do it "
        "standing, then on one leg. Scrunching a towel towards you with your toes is an easier "
        "start.",
        ("feet_ankles",), "hold", 2, 10, 5, "each", ("towel",), (RK,),
    ),
    # -- core and balance ------------------------------------------------------------------------
    _row(
        "Front plank", "plank",
        "Rest on your forearms and toes, elbows under your shoulders. Tighten your stomach and "
        "buttocks so your body forms one straight line from head to heels, and hold, breathing "
        "normally. Drop to your knees if your back starts to sag.",
        ("core",), "time", 3, None, 30, "both", (), (RK, ITB),
    ),
    _row(
        "Side plank", "side_plank",
        "Lie on your side, propped on one forearm with the elbow under the shoulder. Lift your "
        "hips so your body forms a straight line from head to feet, and hold. Bend the knees "
        "for an easier version.",
        ("core", "hips"), "time", 3, None, 20, "each", (), (ITB, RK),
    ),
    _row(
        "Single-leg balance", "single_leg_balance",
        "Stand on one leg near a wall or counter, knee softly bent, and hold steady for the set. "
        "Keep the pelvis level and the knee over the foot. Make it harder by closing your eyes "
        "or standing on a cushion.",
        ("balance", "feet_ankles"), "time", 3, None, 30, "each", (), (RK, ITB, MEN),
    ),
    # -- flexibility -----------------------------------------------------------------------------
    _row(
        "Hamstring stretch", "hamstring_stretch",
        "Lie on your back and loop a towel around one foot. With that knee straight, pull the "
        "leg up until you feel a gentle stretch at the back of the thigh. Hold without bouncing. "
        "It should pull, not hurt.",
        ("flexibility", "hamstrings"), "hold", 1, 3, 30, "each", ("towel",), (RK, ITB, BUR),
    ),
    _row(
        "Quadriceps stretch", "quad_stretch",
        "Stand holding a wall. Bend one knee and take that ankle in your hand, bringing the heel "
        "towards your buttock with the knees side by side. Tuck your pelvis under until you feel "
        "the stretch along the front of the thigh, and hold. Use a towel around the ankle if you "
        "cannot reach.",
        ("flexibility", "quadriceps"), "hold", 1, 3, 30, "each", ("wall",), (RK, ITB),
    ),
    _row(
        "Hip flexor stretch", "hip_flexor_stretch",
        "Stand in a long stride with the back heel lifted, or half-kneel on a cushion. Tuck your "
        "pelvis under and shift your weight forward until you feel a stretch at the front of the "
        "back hip, and hold. Keep your body upright.",
        ("flexibility", "hips"), "hold", 1, 3, 30, "each", (), (RK, ITB),
    ),
    _row(
        "Calf stretch", "calf_stretch",
        "Face a wall with your hands on it and one foot a stride behind the other. Keeping the "
        "back heel down and that knee straight, lean in until you feel a stretch in the calf, and "
        "hold. Bend the back knee a little to reach lower in the calf.",
        ("flexibility", "calves"), "hold", 1, 3, 30, "each", ("wall",), (RK, BUR),
    ),
)
