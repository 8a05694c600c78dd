# Reference values for tests/mediation/test_statsmodels_models.py (facmech's statsmodels/MixedLM path).
# Data: multisite.csv, written by make_multisite.py beside this script (seeded; ours).
# R 4.2.2, lme4 (Debian r-cran-lme4), mediation 4.5.1 built from its public source with R CMD INSTALL.
# Run from the repository root:
#   Rscript tests/mediation/results/multisite_lme4_mediation.R
# Writes multisite_lme4_mediation.json: per case, the fixed effects and their covariance (lme4 REML
# or lm), the plug-in effects computed from the coefficients in closed form, and R mediation's
# quasi-Bayesian summary (means of the draws, percentile intervals, p-values) and test.TMint.
suppressPackageStartupMessages({library(lme4); library(mediation); library(jsonlite)})
here <- "tests/mediation/results"
d <- read.csv(file.path(here, "multisite.csv"))
d$region <- factor(d$region)
SIMS <- as.integer(Sys.getenv("SIMS", "10000"))

plugin <- function(fm, fy, treat, med, t0, t1) {
  # closed-form linear mediation formula: ACME(t) = alpha (t1 - t0) (b + d t), ADE(t) = (c + d E[M(t)])(t1 - t0)
  bm <- if (inherits(fm, "merMod")) fixef(fm) else coef(fm)
  by <- if (inherits(fy, "merMod")) fixef(fy) else coef(fy)
  it <- paste0(treat, ":", med)
  dd <- if (it %in% names(by)) by[[it]] else 0
  X <- model.matrix(fm)
  mbar <- function(t) { X2 <- X; X2[, treat] <- t; mean(X2 %*% bm) }
  a <- bm[[treat]] * (t1 - t0)
  acme <- function(t) a * (by[[med]] + dd * t)
  ade <- function(t) (by[[treat]] + dd * mbar(t)) * (t1 - t0)
  out <- list(nie_control = acme(t0), nie_treated = acme(t1), nde_control = ade(t0),
              nde_treated = ade(t1))
  out$total <- out$nde_control + out$nie_treated
  out$nie <- (out$nie_control + out$nie_treated) / 2
  out$nde <- (out$nde_control + out$nde_treated) / 2
  out$tmint <- out$nie_treated - out$nie_control
  out
}

summ <- function(m) {
  q <- function(lo, hi) c(lo, hi)
  list(
    nie_control = c(m$d0, m$d0.ci, m$d0.p), nie_treated = c(m$d1, m$d1.ci, m$d1.p),
    nde_control = c(m$z0, m$z0.ci, m$z0.p), nde_treated = c(m$z1, m$z1.ci, m$z1.p),
    total = c(m$tau.coef, m$tau.ci, m$tau.p), nie = c(m$d.avg, m$d.avg.ci, m$d.avg.p),
    nde = c(m$z.avg, m$z.avg.ci, m$z.avg.p),
    sd = list(nie = sd(m$d.avg.sims), nde = sd(m$z.avg.sims), total = sd(m$tau.sims),
              nie_control = sd(m$d0.sims), nie_treated = sd(m$d1.sims))
  )
}

fe <- function(f) {
  b <- if (inherits(f, "merMod")) fixef(f) else coef(f)
  V <- as.matrix(vcov(f))
  list(params = as.list(b), bse = as.list(sqrt(diag(V))), names = names(b),
       cov = unname(V))
}

cases <- list()
run <- function(name, fm, fy, treat, med, t0 = 0, t1 = 1, tmint = FALSE) {
  set.seed(2026)
  t_start <- proc.time()[["elapsed"]]
  m <- mediate(fm, fy, treat = treat, mediator = med, control.value = t0, treat.value = t1,
               sims = SIMS)
  el <- proc.time()[["elapsed"]] - t_start
  out <- list(mediator = fe(fm), outcome = fe(fy), plugin = plugin(fm, fy, treat, med, t0, t1),
              mediate = summ(m), sims = SIMS, seconds = el, control = t0, treated = t1)
  if (inherits(fm, "merMod")) {
    out$mediator$sigma_site <- attr(VarCorr(fm)$site, "stddev")[[1]]
    out$mediator$sigma <- sigma(fm)
    out$outcome$sigma_site <- attr(VarCorr(fy)$site, "stddev")[[1]]
    out$outcome$sigma <- sigma(fy)
  }
  if (tmint) {
    if (inherits(m, "mediate.mer")) {  # test.TMint has no mer method: its formula by hand
      dd <- m$d1 - m$d0; ds <- m$d1.sims - m$d0.sims
      out$tmint <- c(dd, unname(quantile(ds, c(0.025, 0.975))), mediation:::pval(ds, dd))
    } else {
      tt <- test.TMint(m)
      out$tmint <- c(unname(tt$statistic), unname(tt$conf.int), tt$p.value)
    }
    out$tmint_sd <- sd(m$d1.sims - m$d0.sims)
  }
  cases[[name]] <<- out
  cat(name, "done in", el, "s\n")
}

# (1) random intercepts for site, binary site-level treatment
run("mixed_binary",
    lmer(trust ~ facilitation + readiness + region + (1 | site), data = d),
    lmer(uptake ~ facilitation + trust + readiness + region + (1 | site), data = d),
    "facilitation", "trust")
# (2) random intercepts, continuous dose, control.value = 1, treat.value = 4
run("mixed_dose",
    lmer(trust ~ dose + readiness + (1 | site), data = d),
    lmer(uptake ~ dose + trust + readiness + (1 | site), data = d),
    "dose", "trust", t0 = 1, t1 = 4)
# (3) lm with treatment-mediator interaction: test.TMint
run("lm_interaction",
    lm(trust ~ facilitation + readiness, data = d),
    lm(uptake ~ facilitation * trust + readiness, data = d),
    "facilitation", "trust", tmint = TRUE)
# (4) lm, continuous dose with interaction, control.value = 1, treat.value = 4: test.TMint
run("lm_dose_interaction",
    lm(trust ~ dose + readiness, data = d),
    lm(uptake ~ dose * trust + readiness, data = d),
    "dose", "trust", t0 = 1, t1 = 4, tmint = TRUE)
# (5) random intercepts with interaction (mixed test.TMint)
run("mixed_interaction",
    lmer(trust ~ facilitation + readiness + (1 | site), data = d),
    lmer(uptake ~ facilitation * trust + readiness + (1 | site), data = d),
    "facilitation", "trust", tmint = TRUE)

writeLines(toJSON(cases, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(here, "multisite_lme4_mediation.json"))
