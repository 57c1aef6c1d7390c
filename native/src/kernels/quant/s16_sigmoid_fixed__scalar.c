/*
 * kernels/quant/s16_sigmoid_fixed__scalar.c — gemmlowp's fixed-point logistic and tanh in
 * 16-bit arithmetic (input Q3.12, result Q0.15), the functions LiteRT's builtin int16 LOGISTIC
 * and TANH run when the input scale is 2^-12 (qsigmoid16.h). Written from gemmlowp's
 * definitions: exp(x) for x < 0 as exp on [-1/4, 0) by a 4th-order Taylor series around -1/8
 * times exp(-2^k) for each set bit k of the remainder; 1/(1+x) and (1-x)/(1+x) on (0, 1) by
 * three Newton-Raphson steps from 48/17 - 32/17 d. Every step mirrors the 16-bit lane
 * semantics: rounding doubling high multiply saturating only -1 * -1, plain adds and
 * negations that wrap to 16 bits, saturating power-of-two scalings; int32 constants enter
 * rounded to 16 bits.
 */
#include "kernels/quant/qsigmoid16.h"
#include "kernels/requant.h"

static inline int16_t wrap16(int32_t v) { return (int16_t)(uint16_t)(uint32_t)v; }

/* SaturatingRoundingDoublingHighMul on int16: round(a * b / 2^15), -1 * -1 -> 32767. */
static inline int16_t mul16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return wrap16((ab + nudge) / (1 << 15)); /* truncating division, as gemmlowp */
}

/* RoundingDivideByPOT on int16 (ties away from zero). */
static inline int16_t rdiv16(int16_t x, int e) {
    const int32_t mask = (1 << e) - 1;
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return wrap16((x >> e) + (remainder > threshold ? 1 : 0));
}

/* SaturatingRoundingMultiplyByPOT<e> for e > 0 on int16. */
static inline int16_t shl_sat16(int16_t x, int e) {
    const int32_t threshold = (1 << (15 - e)) - 1;
    if (x > threshold) return INT16_MAX;
    if (x < -threshold) return INT16_MIN;
    return wrap16((int32_t)x * (1 << e));
}

static inline int16_t add_sat16(int16_t a, int16_t b) {
    const int32_t s = (int32_t)a + b;
    return (int16_t)(s > INT16_MAX ? INT16_MAX : s < INT16_MIN ? INT16_MIN : s);
}

/* An int32 gemmlowp constant (raw value of the 32-bit format) in the 16-bit format. */
static inline int16_t const16(int32_t raw32) { return (int16_t)pml_rounding_divide_by_pot(raw32, 16); }

/* exp(a) for a in [-1/4, 0), a and the result in Q0.15. */
static int16_t exp_quarter(int16_t a) {
    const int16_t exp_minus_eighth = const16(1895147668); /* exp(-1/8) */
    const int16_t one_third = const16(715827883);
    const int16_t x = wrap16(a + (1 << 12)); /* a + 1/8 */
    const int16_t x2 = mul16(x, x), x3 = mul16(x2, x), x4 = mul16(x2, x2);
    const int16_t x4_over_4 = rdiv16(x4, 2);
    const int16_t poly = rdiv16(wrap16(mul16(wrap16(x4_over_4 + x3), one_third) + x2), 1);
    return add_sat16(exp_minus_eighth, mul16(exp_minus_eighth, wrap16(x + poly)));
}

/* exp(a) for a <= 0 in Q(int_bits).(15 - int_bits) (int_bits 3 or 4), result Q0.15. */
static int16_t exp_negative(int16_t a, int int_bits) {
    static const int32_t exp_of_minus_pot[7] = {/* exp(-2^k), k = -2..4, in Q0.31 */
                                                1672461947, 1302514674, 790015084, 290630308,
                                                39332535,   720401,     242};
    const int frac_bits = 15 - int_bits;
    const int32_t quarter = 1 << (frac_bits - 2);
    const int16_t a_mod = wrap16((a & (quarter - 1)) - quarter); /* in [-1/4, 0) */
    int16_t result = exp_quarter(shl_sat16(a_mod, int_bits));    /* to Q0.15 */
    const int16_t remainder = wrap16(a_mod - a);
    for (int k = -2; k <= 4 && k < int_bits; k++)
        if (remainder & wrap16(1 << (frac_bits + k))) result = mul16(result, const16(exp_of_minus_pot[k + 2]));
    return a == 0 ? INT16_MAX : result;
}

/* 1 / h for h = (1 + d) / 2 in Q0.15 (d in (0, 1)): three Newton-Raphson steps, result in
 * Q2.13 (gemmlowp's one_over_one_plus_x / one_minus_x_over_one_plus_x share this loop). */
static int16_t reciprocal_half_denominator(int16_t half_den) {
    const int16_t c48_17 = const16(1515870810), c_neg32_17 = const16(-1010580540); /* Q2.13 */
    int16_t x = wrap16(c48_17 + mul16(half_den, c_neg32_17));
    for (int i = 0; i < 3; i++) {
        const int16_t one_minus = wrap16((1 << 13) - mul16(half_den, x));
        x = wrap16(x + shl_sat16(mul16(x, one_minus), 2));
    }
    return x;
}

static int16_t half_sum(int16_t a, int16_t b) {
    const int32_t s = (int32_t)a + b;
    return wrap16((s + (s >= 0 ? 1 : -1)) / 2);
}

int16_t pml_s16_logistic_q3(int16_t a) {
    if (a == 0) return 1 << 14;                            /* one half */
    const int16_t abs_a = a > 0 ? a : wrap16(-(int32_t)a); /* -(-8) wraps to -8, as the lane does */
    const int16_t e = exp_negative(wrap16(-(int32_t)abs_a), 3);
    /* 1 / (1 + e): x ~ 1 / ((1 + e) / 2) in Q2.13, halved exactly (Q1.14) then to Q0.15 */
    const int16_t positive = shl_sat16(reciprocal_half_denominator(half_sum(e, INT16_MAX)), 1);
    return a > 0 ? positive : wrap16(INT16_MAX - positive);
}

int16_t pml_s16_tanh_q3(int16_t a) {
    if (a == 0) return 0;
    const int16_t n = a < 0 ? a : wrap16(-(int32_t)a); /* -|a| */
    /* (1 - e) / (1 + e) with e = exp(2n): n read as Q4.11 is 2n */
    const int16_t e = exp_negative(n, 4);
    const int16_t t = shl_sat16(wrap16(reciprocal_half_denominator(half_sum(e, INT16_MAX)) - (1 << 13)), 2);
    return a < 0 ? wrap16(-(int32_t)t) : t;
}
