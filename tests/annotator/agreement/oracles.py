"""Published worked examples with known values (docs/agreement.md section 12), pasted as given.

nan = missing value. Coder-major matrices are (coders x units); FLEISS1971 and HK2007_UNITS are unit-major.
Oracle 12 (gamma) is left out: the package does not implement gamma."""

# fmt: off
nan = float("nan")

# 1. Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", sect. C (also Krippendorff 2004 p. 230):
#    4 observers x 12 units, values 1..5, missing data. Published: nominal .743, ordinal .815, interval .849, ratio .797
K2011 = [
    [1,   2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],   # observer A
    [1,   2, 3, 3, 2, 2, 4, 1, 2, 5,   nan, 3],     # observer B
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5,   1,   nan],   # observer C
    [1,   2, 3, 3, 2, 4, 4, 1, 2, 5,   1,   nan],   # observer D
]
K2011_EXPECTED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
K2011_EXACT = {"nominal": 0.743421, "ordinal": 0.815388, "interval": 0.849107, "ratio": 0.797403}  # 4 impls agree
K2011_NOMINAL_DO_DE = (0.200, 0.779)          # D_o = 8/40, D_e = 0.779487 (also asserted by DKPro)
# coincidence matrix o_ck over values 1..5 (the paper's table; pairable values n = 40) and its marginals n_c
K2011_COINCIDENCES = [[7, 4/3, 1/3, 1/3, 0], [4/3, 10, 4/3, 1/3, 0], [1/3, 4/3, 8, 1/3, 0],
                      [1/3, 1/3, 1/3, 4, 0], [0, 0, 0, 0, 3]]
K2011_N_C = [9, 13, 10, 5, 3]

# 2. Wikipedia "Krippendorff's alpha", computational example: 3 coders x 15 units
WIKI = [
    [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
    [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
    [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
]
WIKI_EXPECTED = {"nominal": 0.691, "interval": 0.811}
WIKI_EXACT = {"nominal": 0.691358, "interval": 0.810845}

# 3. Hayes & Krippendorff (2007) "Answering the call for a standard reliability measure", KALPHA example:
#    40 units (rows) x 5 observers (columns), values 0..3. Published: ordinal alpha = .7598
HK2007_UNITS = [
    [1,1,2,nan,2],[1,1,0,1,nan],[2,3,3,3,nan],[nan,0,0,nan,0],[0,0,0,nan,0],[0,0,0,nan,0],[1,0,2,nan,1],
    [1,nan,2,0,nan],[2,2,2,nan,2],[2,1,1,1,nan],[nan,1,0,0,nan],[0,0,0,0,nan],[1,2,2,2,nan],[3,3,2,2,3],
    [1,1,1,nan,1],[1,1,1,nan,1],[2,1,2,nan,2],[1,2,3,3,nan],[1,1,0,1,nan],[0,0,0,nan,0],[0,0,1,1,nan],
    [0,0,nan,0,0],[2,3,3,3,nan],[0,0,0,0,nan],[1,2,nan,2,2],[0,1,1,1,nan],[0,0,0,1,0],[1,2,1,2,nan],
    [1,1,2,2,nan],[1,1,2,nan,2],[1,1,0,nan,0],[2,1,2,1,nan],[2,2,nan,2,2],[3,2,2,2,nan],[2,2,2,nan,2],
    [2,2,3,nan,2],[2,2,2,nan,2],[2,2,nan,1,2],[2,2,2,2,nan],[1,1,1,nan,1],
]
HK2007_EXPECTED = {"ordinal": 0.7598}
HK2007_CROSSIMPL = {"nominal": 0.476510, "interval": 0.757378}   # not printed in the paper; all impls agree

# 4. Fleiss (1971) p. 379: 30 patients (rows) x 6 psychiatrists, diagnoses 1..5
#    (1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other). Published kappa = .430
FLEISS1971 = [
    [4,4,4,4,4,4],[2,2,2,5,5,5],[2,3,3,3,3,5],[5,5,5,5,5,5],[2,2,2,4,4,4],[1,1,3,3,3,3],[3,3,3,3,5,5],
    [1,1,3,3,3,4],[1,1,4,4,4,4],[5,5,5,5,5,5],[1,4,4,4,4,4],[1,2,4,4,4,4],[2,2,2,3,3,3],[1,4,4,4,4,4],
    [2,2,4,4,4,5],[3,3,3,3,3,5],[1,1,1,4,5,5],[1,1,1,1,1,2],[2,2,4,4,4,4],[1,3,3,5,5,5],[5,5,5,5,5,5],
    [2,4,4,4,4,4],[2,2,4,5,5,5],[1,1,4,4,4,4],[1,4,4,4,4,5],[2,2,2,2,2,4],[1,1,1,1,5,5],[2,2,4,4,4,4],
    [1,3,3,3,3,3],[5,5,5,5,5,5],
]
FLEISS1971_EXPECTED = 0.430
FLEISS1971_EXACT = 0.4302445                 # R irr::kappam.fleiss (statsmodels' test); P_bar .5556, P_e .2201
FLEISS1971_PER_CATEGORY = {1: 0.245, 2: 0.245, 3: 0.520, 4: 0.471, 5: 0.566}   # DKPro; 30-item column sums 26,26,30,55,43

# 5. Wikipedia "Fleiss' kappa" worked example: 10 subjects x 14 raters, table of counts per category (5 categories)
FLEISS_WIKI_COUNTS = [
    [0,0,0,0,14],[0,2,6,4,2],[0,0,3,5,6],[0,3,9,2,0],[2,2,8,1,1],
    [7,7,0,0,0],[3,2,6,3,0],[2,5,3,2,2],[6,5,2,1,0],[0,2,2,3,7],
]
FLEISS_WIKI_EXPECTED = 0.210                 # exact 0.209931 (P_bar .378, P_e .213)

# 6. Cohen (1960) p. 45, example 2: 200 items, 3 categories; rows = judge A, columns = judge B.
COHEN1960_TABLE = [[88, 14, 18], [10, 40, 10], [2, 6, 12]]
COHEN1960_EXPECTED = 0.492                   # p_o = .70, p_e = .41; exact 0.491525

# 7. Wikipedia "Cohen's kappa": 50 grant proposals, rows = reader A yes/no, columns = reader B yes/no
COHEN_WIKI_TABLE = [[20, 5], [10, 15]]
COHEN_WIKI_EXPECTED = 0.4                    # p_o = .7, p_e = .5, exact

# 8. SAS PROC FREQ example used in statsmodels' tests: 3x3 table, simple and linear-weighted kappa
SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
SAS_KAPPA = 0.4842                            # ASE .1380, 95% CI [.2137, .7547]
SAS_KAPPA_LINEAR = 0.4701                     # weights |i-j|; ASE .1457

# 9. Unitizing alpha_U, Krippendorff (2004 book, p. 254) as encoded in DKPro Agreement's unitizing
#    Krippendorff2004Test: 2 observers, categories c and k, continuum [150, 450). Units: (offset, length, rater, cat)
K2004U_BEGIN, K2004U_LENGTH, K2004U_RATERS = 150, 300, 2
K2004U = [(225, 70, 0, "c"), (370, 30, 0, "c"), (220, 80, 1, "c"), (355, 20, 1, "c"), (400, 20, 1, "c"),
          (180, 60, 0, "k"), (300, 50, 0, "k"), (180, 60, 1, "k"), (300, 50, 1, "k")]
K2004U_EXPECTED = {"alpha": 0.8591, "alpha_tol": 0.0005,          # DKPro's assertion; DKPro itself yields 0.858665
                   "c": {"Do": 0.0144, "De": 0.0532, "alpha": 0.7286},
                   "k": {"Do": 0.0, "De": 0.0490, "alpha": 1.0}}
K2004U_DKPRO_EXACT = {"alpha": 0.858665, "c": (0.014444, 0.053222, 0.728599), "k": (0.0, 0.048979, 1.0)}
# Distance function checks (DKPro Krippendorff2004Test): delta(offset1, len1, cat1, offset2, len2, cat2)
K2004U_DELTAS = [((225, 70, "c", 220, 80, "c"), 50.0), ((370, 30, "c", 355, 20, "c"), 850.0),
                 ((400, 50, None, 400, 20, "c"), 400.0), ((5, 6, "X", 4, 2, "X"), 26.0), ((5, 6, "X", 6, 4, "X"), 2.0)]

# 10. DKPro UnitizingAgreementTest: L = 10;  r0: -11111111-   r1: --1-1-1---
SIMPLE_U = [(1, 8, 0, "A"), (2, 1, 1, "A"), (4, 1, 1, "A"), (6, 1, 1, "A")]
SIMPLE_U_EXPECTED = {"Do": 0.9100, "De": 0.5351, "alpha": -0.7003}   # DKPro exact: 0.91, 0.535185, -0.700346

# 11. Krippendorff (1995) "On the reliability of unitizing continuous data", p. 57: four 2-observer pairs A-D on
#     a 24-position continuum, each pair its own category. Observed D_o is exact at any resolution; the
#     expected D_e (and alpha) depend on resolution: DKPro stretches positions x50000 and asserts alpha +-0.02.
K1995_SPEC = {
    "A": [(2,8,0),(14,6,0),(4,4,1),(15,2,1)],                                           # Bertha / Bill
    "B": [(0,18,0),(0,2,1),(2,1,1),(3,1,1),(4,1,1),(5,1,1),(6,3,1),(9,1,1)],            # John / Jill
    "C": [(2,6,0),(10,2,0),(14,4,0),(20,2,0),(0,2,1),(4,4,1),(10,4,1),(16,2,1),(20,2,1)],  # Gerret / Gill
    "D": [(0,2,0),(2,8,0),(10,4,0),(14,6,0),(20,4,0),(0,4,1),(4,4,1),(8,7,1),(15,2,1),(17,7,1)],  # Heather / Hill
}
def k1995_units(stretch=1):
    return [(int(o * stretch), int(l * stretch), r, c) for c, us in K1995_SPEC.items() for o, l, r in us], int(24 * stretch)  # noqa: E741
K1995_DO = {"A": 0.03125, "B": 2.26736, "C": 0.02777, "D": 0.38715}            # any stretch
K1995_ALPHA_STRETCH50000 = {"A": 0.553, "B": -0.926, "C": 0.679, "D": 0.066}  # tol 0.02 (DKPro: .5529 -.9284 .6931 .0659)
K1995_DKPRO_STRETCH1 = {"A": 0.515288, "B": -1.081079, "C": 0.603348, "D": -0.206849}

# 13. SemEval-2013 task 9.1 scenario table (Segura-Bedmar et al.; nervaluate README), as character spans
#     (start, end_exclusive, label). The README's totals imply one more fully correct entity: the last pair.
GOLD = [(0, 7, "BRAND"), (23, 31, "DRUG"), (40, 51, "DRUG"), (60, 69, "DRUG"), (80, 94, "GROUP"), (100, 106, "DRUG")]
PRED = [(10, 17, "BRAND"), (20, 31, "DRUG"), (40, 51, "BRAND"), (60, 69, "DRUG"), (75, 94, "DRUG"), (100, 106, "DRUG")]
SEMEVAL_EXPECTED_F1 = {"strict": 1/3, "exact": 0.5, "partial": 2/3, "ent_type": 0.5}
# counts: strict COR2 INC3 MIS1 SPU1; exact COR3 INC2; partial COR3 PAR2 (PAR counts 0.5); type COR3 INC2; POS = ACT = 6
# fmt: on
