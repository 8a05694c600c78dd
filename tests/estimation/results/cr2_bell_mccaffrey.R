# CR2 covariance and Bell-McCaffrey (Satterthwaite) degrees of freedom of every coefficient,
# R clubSandwich 0.5.8: vcovCR(type = "CR2") and coef_test(test = "Satterthwaite"), on the
# multisite.csv models of tests/mediation (the mediator model and the outcome model with a
# treatment-by-mediator interaction; sites of unequal size are made by dropping rows).
# Reference for tests/estimation/test_covariance.py::test_cr2_and_bell_mccaffrey_df_match_clubsandwich.
# Run from the repository root: Rscript tests/estimation/results/cr2_bell_mccaffrey.R
suppressPackageStartupMessages({library(clubSandwich); library(jsonlite)})
d <- read.csv("tests/mediation/results/multisite.csv")
d <- d[(seq_len(nrow(d)) %% 7) != 0 | d$site %% 3 == 0, ]  # unequal site sizes
fits <- list(
  trust = lm(trust ~ facilitation + readiness + region, data = d),
  uptake = lm(uptake ~ facilitation * trust + readiness + region, data = d)
)
out <- lapply(fits, function(f) {
  V <- vcovCR(f, cluster = d$site, type = "CR2")
  ct <- coef_test(f, vcov = V, test = "Satterthwaite")
  list(names = names(coef(f)), coef = unname(coef(f)), cr2 = unname(as.matrix(V)),
       df = unname(ct$df_Satt), se = unname(ct$SE))
})
out$rows <- nrow(d)
writeLines(toJSON(out, digits = NA, pretty = TRUE, auto_unbox = TRUE),
           "tests/estimation/results/cr2_bell_mccaffrey.json")
