"""Write the staff-survey + site data that lavaan_two_level.R fits (run from the repository root).

One period, 300 sites, 8 staff per site answering the four items of `leadership_engagement` (the
packaged zambia scenario's scale; loadings 1.2, 1.0, 0.9, 0.9), and each site's mean patient outcome.
"""

from pathlib import Path

from facmech.simulation import ParallelCRT, load_scenario, simulate

HERE = Path(__file__).resolve().parent


def main() -> None:
    scenario = load_scenario("zambia")
    trial = simulate(scenario, ParallelCRT(sites=300, patients=20), seed=2024, truth=False,
                     surveys=True)
    items = list(trial.survey_items["leadership_engagement"])
    staff = trial.surveys[["site", "respondent", *items]].copy()
    staff.columns = ["site", "respondent", *(f"x{k}" for k in range(1, len(items) + 1))]
    sites = trial.site_periods[["site", "exposed", "patient_outcomes"]].rename(
        columns={"patient_outcomes": "y"})
    data = staff.merge(sites, on="site")
    data.to_csv(HERE / "lavaan_two_level_data.csv", index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
