# CR2 (Bell-McCaffrey) cluster-robust covariance of the multisite.csv mediator and outcome models,
# R clubSandwich::vcovCR(type = "CR2").
# Reference for tests/mediation/test_statsmodels_models.py::test_cov_params_cr2_matches_clubsandwich.
# Run from the repository root: Rscript tests/mediation/results/multisite_clubsandwich.R
suppressPackageStartupMessages({library(clubSandwich); library(jsonlite)})
here <- "tests/mediation/results"
d <- read.csv(file.path(here, "multisite.csv"))
fm <- lm(trust ~ facilitation + readiness + region, data = d)
fy <- lm(uptake ~ facilitation * trust + readiness + region, data = d)
out <- lapply(list(trust = fm, uptake = fy), function(f) {
  V <- as.matrix(vcovCR(f, cluster = d$site, type = "CR2"))
  list(names = colnames(V), cr2 = unname(V))
})
writeLines(toJSON(out, digits = NA, pretty = TRUE), file.path(here, "multisite_clubsandwich.json"))
