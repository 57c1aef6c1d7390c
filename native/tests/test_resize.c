/*
 * test_resize.c — Resize (nearest/linear/cubic, every coordinate transform
 * and nearest mode) against values produced by the ONNX reference
 * implementation, the best ISA and 2 threads against the reference, and the
 * error paths; GridSample (channels last, every mode, padding and align_corners,
 * awkward channel counts around the kernel's few-channel path and 128-channel chunk) against a naive
 * per-channel loop, float16 against float32 rounded once, and its error paths;
 * AffineGrid (2-D and 3-D, unit and odd axes) against theta applied by hand; RoiAlign (both
 * modes and coordinate modes, fixed and adaptive sampling, channels around the 128-channel chunk)
 * against a naive per-channel loop, float16 against float32 rounded once, hostile rois and errors.
 */
#include "ew_testutil.h"


/* ---- Resize ----------------------------------------------------------------------------------------------- */

typedef struct resize_case {
    int rank;
    int64_t in[4], out[4];
    float scales[4];
    int mode, ctm, nearest;
    float cubic_a;
    int exclude;
    const float *expect;
    int antialias;
} resize_case;

/*
 * Expected outputs from onnx.reference.ReferenceEvaluator (onnx 1.23, opset
 * 19 Resize) for x[i] = (0.37 i - 1.5)^2 in float32, with the listed scales
 * (or, for the sizes cases, scales = out/in).
 */
static const float rs0_y[] = {1.29745567f, 0.557866693f, 2.53736639f, 4.83999968f};
static const float rs1_y[] = {2.25f, 0.516814351f};
static const float rs2_y[] = {2.60207677f, 2.26926994f, 1.73122799f, 1.11825335f, 0.787237167f, 0.375334382f, 0.136761129f, -0.0142252687f, 1.74592245f, 1.50964093f, 1.12654722f, 0.718053639f, 0.519124448f, 0.311702698f, 0.228077859f, 0.173616692f, 0.310774952f, 0.229441836f, 0.0950810984f, 0.0148332827f, 0.0279386099f, 0.148762718f, 0.313870817f, 0.41435805f, -0.0301195513f, 0.0930282697f, 0.286913276f, 0.639842272f, 0.932763755f, 1.48676491f, 1.98011899f, 2.28508735f, 0.788754821f, 1.04398966f, 1.44990909f, 2.08265424f, 2.55632663f, 3.39014387f, 4.09553242f, 4.53258801f, 3.66501045f, 4.1247263f, 4.85889101f, 5.92481327f, 6.67830229f, 7.94529676f, 8.97893143f, 9.62046719f, 7.02136326f, 7.63602734f, 8.61892509f, 10.013093f, 10.9786177f, 12.5738583f, 13.856225f, 14.652709f, 9.07433414f, 9.78552341f, 10.9233694f, 12.5220184f, 13.6196299f, 15.4193516f, 16.8566666f, 17.7496758f};
static const float rs3_y[] = {1.98829877f, 0.899242043f, 0.285549492f, 0.323666394f, 1.089414f, 2.3910439f, 6.77907848f, 9.46014786f, 12.7395935f};
static const float rs4_y[] = {2.25f, 1.82900929f, 1.27689993f, 0.875912488f, 0.577600002f, 0.299290627f, 0.152099982f, 0.112209357f, 0.925399959f, 0.68516016f, 0.397225022f, 0.218699992f, 0.142849997f, 0.128714889f, 0.162275106f, 0.164096221f, 0.000399999233f, 0.0243343841f, 0.122500017f, 0.269112498f, 0.518400013f, 0.890365779f, 1.18810034f, 1.25088477f, 0.244600043f, 0.490996808f, 0.914299846f, 1.33471227f, 1.85779989f, 2.55490327f, 3.07510042f, 3.18922234f, 2.13160014f, 2.6004591f, 3.3488996f, 4.04311228f, 4.84000015f, 5.86224127f, 6.60490084f, 6.77036047f, 5.58740044f, 6.32043314f, 7.45497465f, 8.47432518f, 9.59635162f, 11.004693f, 12.0115261f, 12.2379494f, 8.64360046f, 9.55738449f, 10.9560995f, 12.1979132f, 13.5424023f, 15.2149181f, 16.4025021f, 16.6706371f, 9.2541008f, 10.2095957f, 11.6692743f, 12.9624262f, 14.3582525f, 16.091732f, 17.3210278f, 17.5987873f};
static const float rs5_y[] = {2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 0.152099982f, 0.152099982f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 1.18810034f, 1.18810034f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 1.18810034f, 1.18810034f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 6.60490084f, 6.60490084f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 6.60490084f, 6.60490084f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f};
static const float rs6_y[] = {2.25f, 0.577600002f, 0.000399999233f, 0.518400013f, 8.64360046f, 13.5424023f};
static const float rs7_y[] = {2.25f, 2.25f, 2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 2.25f, 2.25f, 2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 2.25f, 2.25f, 2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 0.000399999233f, 0.000399999233f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 0.000399999233f, 0.000399999233f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 2.13160014f, 2.13160014f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 2.13160014f, 2.13160014f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 8.64360046f, 8.64360046f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f};
static const float rs8_y[] = {2.25f, 1.27689993f, 1.27689993f, 0.577600002f, 0.577600002f, 0.152099982f, 0.152099982f, 0.152099982f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 1.18810034f, 1.18810034f, 0.000399999233f, 0.122500017f, 0.122500017f, 0.518400013f, 0.518400013f, 1.18810034f, 1.18810034f, 1.18810034f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 6.60490084f, 6.60490084f, 2.13160014f, 3.3488996f, 3.3488996f, 4.84000015f, 4.84000015f, 6.60490084f, 6.60490084f, 6.60490084f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f, 8.64360046f, 10.9560995f, 10.9560995f, 13.5424023f, 13.5424023f, 16.4025021f, 16.4025021f, 16.4025021f};
static const float rs9_y[] = {1.87506664f, 1.0660001f, 7.55826712f};
static const float rs10_y[] = {2.22137928f, 1.64896762f, 1.13292646f, 0.721573532f, 0.414908826f, 0.164614707f, 1.11268532f, 0.862391174f, 0.668467641f, 0.579232335f, 0.594685376f, 0.666508973f, 0.364559829f, 0.543755889f, 0.779322505f, 1.11957741f, 1.56452072f, 2.06583476f, 1.80683446f, 2.41552043f, 3.08057714f, 3.85032248f, 4.72475624f, 5.65556049f, 5.43950939f, 6.47768497f, 7.57223225f, 8.77146816f, 10.0753927f, 11.4356871f, 8.71161556f, 10.071909f, 11.488574f, 13.0099277f, 14.6359701f, 16.3183823f};
static const float rs11_y[] = {2.25f, 1.27689993f, 1.4138f, 0.71449995f, 0.481400013f, 0.147166654f, 0.0965999961f, 0.127433345f, 1.81710005f, 1.25470006f, 1.39160001f, 1.10299993f, 1.00680006f, 1.08326662f, 1.16960001f, 1.61113346f, 0.951300025f, 1.21030021f, 1.34720004f, 1.88f, 2.05760002f, 2.95546651f, 3.31560016f, 4.57853365f, 2.54970002f, 3.63010025f, 3.76700044f, 5.12120008f, 5.57260036f, 7.29186678f, 7.92580032f, 10.0101337f, 6.6123004f, 8.51410007f, 8.65100098f, 10.826601f, 11.5518017f, 14.0924683f, 15.0002003f, 17.9059334f, 8.64360046f, 10.9560995f, 11.0930014f, 13.6793003f, 14.5414019f, 17.4927673f, 18.5373993f, 21.8538322f};
static const float rs12_y[] = {2.25f, 1.75882769f, 1.1212728f, 0.766074777f, 0.395512253f, 0.206348807f, 0.0437535718f, 0.000399595272f, 0.122500017f, 0.281902164f, 0.618213892f, 0.925561607f, 1.45702636f, 1.93040872f, 2.741678f, 3.3488996f};
static const float rs13_y[] = {2.25f, 1.27689993f, 0.577600002f, 0.152099982f, 0.577600002f, 0.152099982f, 0.000399999233f, 0.122500017f, 2.25f, 1.27689993f, 0.577600002f, 0.152099982f, 0.577600002f, 0.152099982f, 0.000399999233f, 0.122500017f, 0.518400013f, 1.18810034f, 2.13160014f, 3.3488996f, 2.13160014f, 3.3488996f, 4.84000015f, 6.60490084f, 0.518400013f, 1.18810034f, 2.13160014f, 3.3488996f, 2.13160014f, 3.3488996f, 4.84000015f, 6.60490084f, 8.64360046f, 10.9560995f, 13.5424023f, 16.4025021f, 13.5424023f, 16.4025021f, 19.5363998f, 22.9440994f, 8.64360046f, 10.9560995f, 13.5424023f, 16.4025021f, 13.5424023f, 16.4025021f, 19.5363998f, 22.9440994f};
/* antialias=1 (the filter widened by 1/scale on shrinking axes), same input formula, from sizes: the float32
 * scales below are out/in rounded, which the op takes as the exact out/in */
static const float rsa0_y[] = {21.0337372f, 27.3119469f, 35.6647644f, 45.6813889f, 175.917679f, 201.410583f, 229.462509f, 258.693817f, 561.761414f, 608.165649f, 657.656128f, 707.798828f, 1175.78479f, 1243.10046f, 1314.02954f, 1385.0835f, 1939.64294f, 2026.17322f, 2116.80151f, 2207.07007f};
static const float rsa1_y[] = {-1.20028055f, -1.3431257f, -1.35967767f, -1.20835686f, -0.90302366f, -0.443678141f, 0.169680506f, 0.937051594f, 1.85843456f, 2.93382978f, 4.33505201f, 5.22210026f, 39.2470245f, 42.4291611f, 46.1129875f, 49.7769814f, 53.594986f, 57.5670052f, 61.6930389f, 65.9730835f, 70.4071426f, 74.9952087f, 80.3223648f, 83.5511932f, 211.758392f, 219.402756f, 228.052612f, 236.430725f, 244.962845f, 253.649017f, 262.489166f, 271.483307f, 280.6315f, 289.933685f, 300.529572f, 306.901154f};
static const float rsa2_y[] = {5.31984901f, 6.87590456f, 133.926926f, 158.299637f, 508.953979f, 556.143372f, 1130.40112f, 1200.4071f, 1998.26819f, 2091.09082f, 3112.55518f, 3228.19458f};
static const float rsa3_y[] = {54.1184158f, 93.5310135f, 146.428284f, 875.321838f, 1030.63647f, 1199.43567f};
static const resize_case g_resize_cases[] = {
    {4, {1, 1, 4, 4}, {1, 1, 2, 2}, {1.0f, 1.0f, 0.600000024f, 0.600000024f}, 1, 0, 0, -0.75f, 0, rs0_y},
    {4, {1, 1, 2, 4}, {1, 1, 1, 2}, {1.0f, 1.0f, 0.600000024f, 0.600000024f}, 1, 2, 0, -0.75f, 0, rs1_y},
    {4, {1, 1, 4, 4}, {1, 1, 8, 8}, {1.0f, 1.0f, 2.0f, 2.0f}, 2, 0, 0, -0.75f, 0, rs2_y},
    {4, {1, 1, 4, 4}, {1, 1, 3, 3}, {1.0f, 1.0f, 0.800000012f, 0.800000012f}, 2, 0, 0, -0.5f, 1, rs3_y},
    {4, {1, 1, 4, 4}, {1, 1, 8, 8}, {1.0f, 1.0f, 2.0f, 2.0f}, 2, 1, 0, -0.75f, 0, rs4_y},
    {4, {1, 1, 4, 4}, {1, 1, 7, 8}, {1.0f, 1.0f, 1.75f, 2.0f}, 0, 1, 1, -0.75f, 0, rs5_y},
    {4, {1, 1, 4, 4}, {1, 1, 3, 2}, {1.0f, 1.0f, 0.75f, 0.5f}, 0, 0, 0, -0.75f, 0, rs6_y},
    {4, {1, 1, 4, 4}, {1, 1, 8, 8}, {1.0f, 1.0f, 2.0f, 2.0f}, 0, 2, 2, -0.75f, 0, rs7_y},
    {4, {1, 1, 4, 4}, {1, 1, 8, 8}, {1.0f, 1.0f, 2.0f, 2.0f}, 0, 0, 3, -0.75f, 0, rs8_y},
    {4, {1, 1, 4, 4}, {1, 1, 3, 1}, {1.0f, 1.0f, 0.75f, 0.25f}, 1, 3, 0, -0.75f, 0, rs9_y},
    {4, {1, 1, 4, 4}, {1, 1, 6, 6}, {1.0f, 1.0f, 1.5f, 1.70000005f}, 1, 4, 0, -0.75f, 0, rs10_y},
    {4, {1, 3, 3, 2}, {1, 6, 4, 2}, {1.0f, 2.0f, 1.5f, 1.0f}, 1, 0, 0, -0.75f, 0, rs11_y},
    {2, {2, 5}, {2, 8}, {1.0f, 1.60000002f}, 2, 2, 0, -0.75f, 0, rs12_y},
    {4, {1, 3, 3, 2}, {1, 6, 4, 2}, {1.0f, 2.0f, 1.5f, 1.0f}, 0, 1, 0, -0.75f, 0, rs13_y},
    {4, {1, 1, 13, 11}, {1, 1, 5, 4}, {1.0f, 1.0f, 0.384615391f, 0.363636374f}, 1, 0, 0, -0.75f, 0, rsa0_y, 1},
    {4, {1, 1, 7, 9}, {1, 1, 3, 12}, {1.0f, 1.0f, 0.428571433f, 1.33333337f}, 2, 1, 0, -0.5f, 1, rsa1_y, 1},
    {4, {2, 3, 5, 6}, {2, 3, 1, 2}, {1.0f, 1.0f, 0.200000003f, 0.333333343f}, 1, 3, 0, -0.75f, 0, rsa2_y, 1},
    {4, {1, 1, 6, 20}, {1, 1, 2, 3}, {1.0f, 1.0f, 0.333333343f, 0.150000006f}, 2, 4, 0, -0.75f, 0, rsa3_y, 1},
};


static void test_resize(void) {
    for (size_t c = 0; c < sizeof g_resize_cases / sizeof g_resize_cases[0]; c++) {
        const resize_case *rc = &g_resize_cases[c];
        pml_tensor x = tt_make(PML_FLOAT32, rc->rank, rc->in, NULL), y;
        for (int64_t i = 0; i < numel(rc->rank, rc->in); i++) {
            float v = (float)i * 0.37f - 1.5f;
            ((float *)x.data)[i] = v * v;
        }
        pml_tensor *in[1] = {&x};
        pml_attr at[8] = {attr_floats("scales", rc->scales, rc->rank), attr_ints("sizes", rc->out, rc->rank),
                          attr_int("mode", rc->mode), attr_int("coordinate_transformation_mode", rc->ctm),
                          attr_int("nearest_mode", rc->nearest), attr_float("cubic_coeff_a", rc->cubic_a),
                          attr_int("exclude_outside", rc->exclude), attr_int("antialias", rc->antialias)};
        char what[64];
        snprintf(what, sizeof what, "resize case %zu", c);
        tt_check_isa(what, PML_OP_RESIZE, at, 8, in, 1, 1e-6f, 1e-6f, &y);
        CHECK(tt_shape_is(&y, rc->rank, rc->out));
        /* antialias sums up to 12 float32 products of values up to 300 into results near 1 */
        float atol = rc->antialias ? 1e-4f : 1e-5f;
        CHECK(y.data && test_allclose(y.data, rc->expect, (size_t)numel(rc->rank, rc->out), 1e-5f, atol, what));
        tt_free(&y);
        /* sizes only (scale = out/in in double): the same result when the scales were exactly out/in */
        int exact = 1;
        for (int a = 0; a < rc->rank; a++) exact &= (double)rc->scales[a] * (double)rc->in[a] == (double)rc->out[a];
        if (exact) {
            CHECK_OK(tt_ref(PML_OP_RESIZE, at + 1, 7, in, 1, &y));
            CHECK(y.data && test_allclose(y.data, rc->expect, (size_t)numel(rc->rank, rc->out), 1e-5f, 1e-5f, what));
            tt_free(&y);
        }
        tt_free(&x);
    }
    /* nearest on int64, tf_half_pixel_for_nn: x_in = (i + 0.5) / 2 -> floor -> 0,0,1,1,2,2 */
    int64_t d[1] = {3}, o[1] = {6};
    int64_t v[3] = {10, 20, 30};
    float s2[1] = {2.0f};
    pml_tensor x = tt_make(PML_INT64, 1, d, v), y;
    pml_tensor *in[1] = {&x};
    pml_attr at[4] = {attr_floats("scales", s2, 1), attr_ints("sizes", o, 1),
                      attr_int("coordinate_transformation_mode", 5), attr_int("nearest_mode", 2)};
    CHECK_OK(tt_ref(PML_OP_RESIZE, at, 4, in, 1, &y));
    int64_t want[6] = {10, 10, 20, 20, 30, 30};
    CHECK(y.data && memcmp(y.data, want, sizeof want) == 0);
    tt_free(&y);
    /* sizes -1 keeps a (formerly symbolic) axis */
    int64_t keep[1] = {-1};
    float one[1] = {1.0f};
    pml_attr kat[2] = {attr_floats("scales", one, 1), attr_ints("sizes", keep, 1)};
    CHECK_OK(tt_ref(PML_OP_RESIZE, kat, 2, in, 1, &y));
    CHECK(y.data && y.dims[0] == 3 && memcmp(y.data, v, sizeof v) == 0);
    tt_free(&y);
    /* errors */
    pml_attr lin[3] = {attr_floats("scales", s2, 1), attr_ints("sizes", o, 1), attr_int("mode", 1)};
    tt_expect_error("linear on int64", PML_ERR_DTYPE, PML_OP_RESIZE, lin, 3, in, 1, 1);
    int64_t o9[1] = {9};
    pml_attr inc[2] = {attr_floats("scales", s2, 1), attr_ints("sizes", o9, 1)};
    tt_expect_error("sizes vs scales", PML_ERR_SHAPE, PML_OP_RESIZE, inc, 2, in, 1, 1);
    float neg[1] = {-1.0f};
    pml_attr ng = attr_floats("scales", neg, 1);
    tt_expect_error("negative scale", PML_ERR_INVALID_MODEL, PML_OP_RESIZE, &ng, 1, in, 1, 1);
    tt_expect_error("no scales or sizes", PML_ERR_INVALID_MODEL, PML_OP_RESIZE, NULL, 0, in, 1, 1);
    pml_attr ctm[2] = {attr_floats("scales", s2, 1), attr_int("coordinate_transformation_mode", 7)};
    tt_expect_error("coordinate_transformation_mode 7", PML_ERR_UNSUPPORTED, PML_OP_RESIZE, ctm, 2, in, 1, 1);
    pml_attr aan[3] = {attr_floats("scales", s2, 1), attr_ints("sizes", o, 1), attr_int("antialias", 1)};
    tt_expect_error("antialias nearest", PML_ERR_UNSUPPORTED, PML_OP_RESIZE, aan, 3, in, 1, 1);
    /* a scale far below 1/in next to sizes 1 (within one element of in * scale): a hostile window */
    float tiny[1] = {1e-7f};
    int64_t o1[1] = {1};
    pml_attr aaw[4] = {attr_floats("scales", tiny, 1), attr_ints("sizes", o1, 1), attr_int("antialias", 1),
                       attr_int("mode", 1)};
    pml_tensor xf = tt_rand(1, d, -1, 1);
    pml_tensor *fin[1] = {&xf};
    tt_expect_error("antialias window", PML_ERR_INVALID_MODEL, PML_OP_RESIZE, aaw, 4, fin, 1, 1);
    tt_free(&xf);
    tt_free(&x);
    /* large NHWC bilinear, threaded */
    int64_t bd[4] = {1, 40, 40, 16}, bo[4] = {1, 80, 80, 16};
    float bs[4] = {1, 2, 2, 1};
    pml_tensor b = tt_rand(4, bd, -1, 1);
    pml_tensor *bin[1] = {&b};
    pml_attr bat[3] = {attr_floats("scales", bs, 4), attr_ints("sizes", bo, 4), attr_int("mode", 1)};
    tt_check_isa("resize large", PML_OP_RESIZE, bat, 3, bin, 1, 0, 0, NULL);
    tt_free(&b);
}

/* tf_crop_and_resize against the ONNX reference (onnx 1.23, opset 19) with float32 roi values: the roi as
 * the full-rank attribute, as a known input and as an input read at run time over the listed axes. */
static const float crop_lin_y[] = {-2.5f, -2.5f, -2.5f, -2.5f, -2.5f, -2.5f, 5.69692039f, 7.49549055f, 9.84166145f,
                                   12.8723297f, 16.4505997f, 20.7133713f, 32.9415016f, 39.2577705f, 46.1216393f,
                                   53.6700096f, 61.7659836f, 70.5464554f, -2.5f, -2.5f, -2.5f, -2.5f, -2.5f, -2.5f};
static const float crop_cub_y[] = {-2.5f, -2.5f, -2.5f, -2.5f, -2.5f, -2.5f, 1.41169631f, 2.72523022f, 4.68903971f,
                                   7.23467016f, 10.4305773f, 14.208312f, 33.9578629f, 40.6022797f, 47.8969688f,
                                   55.7734947f, 64.300293f, 73.408905f, -2.5f, -2.5f, -2.5f, -2.5f, -2.5f, -2.5f};

static void test_resize_crop(void) {
    int64_t d[2] = {3, 11}, o[2] = {4, 6}, rd[1] = {4};
    float roi[4] = {-0.2f, 0.1f, 1.3f, 0.85f};
    pml_tensor x = tt_make(PML_FLOAT32, 2, d, NULL), y;
    for (int64_t i = 0; i < 33; i++) {
        float v = (float)i * 0.37f - 1.5f;
        ((float *)x.data)[i] = v * v;
    }
    for (int mode = 1; mode <= 2; mode++) {
        const float *want = mode == 1 ? crop_lin_y : crop_cub_y;
        pml_attr at[5] = {attr_ints("sizes", o, 2), attr_int("mode", mode), attr_int("coordinate_transformation_mode", 6),
                          attr_float("extrapolation_value", -2.5f), attr_floats("roi", roi, 4)};
        pml_tensor *in[1] = {&x};
        tt_check_isa("crop, roi attribute", PML_OP_RESIZE, at, 5, in, 1, 1e-6f, 1e-6f, &y);
        CHECK(y.data && tt_shape_is(&y, 2, o) && test_allclose(y.data, want, 24, 1e-5f, 1e-5f, "crop attribute"));
        tt_free(&y);
        for (int known = 0; known <= 1; known++) {
            pml_tensor r = tt_make(PML_FLOAT32, 1, rd, roi);
            r.value_known = known;
            pml_tensor *rin[4] = {&x, NULL, NULL, &r};
            CHECK_OK(tt_ref(PML_OP_RESIZE, at, 4, rin, 4, &y));
            CHECK(y.data && test_allclose(y.data, want, 24, 1e-5f, 1e-5f, known ? "crop known roi" : "crop run-time roi"));
            tt_free(&y);
            tt_free(&r);
        }
    }
    /* nearest on int64, the roi over axis 1 only: the extrapolation value converts to the dtype */
    int64_t o5[1] = {5}, ax[1] = {1}, rd2[1] = {2}, v[33];
    for (int i = 0; i < 33; i++) v[i] = 10 * i;
    float roi2[2] = {-0.1f, 1.05f};
    pml_tensor xi = tt_make(PML_INT64, 2, d, v), r2 = tt_make(PML_FLOAT32, 1, rd2, roi2);
    pml_tensor sz = t_i64(1, ax, o5, 1);
    pml_tensor *nin[4] = {&xi, NULL, &sz, &r2};
    pml_attr nat[4] = {attr_ints("axes", ax, 1), attr_int("coordinate_transformation_mode", 6),
                       attr_float("extrapolation_value", -7.0f)};
    CHECK_OK(tt_ref(PML_OP_RESIZE, nat, 3, nin, 4, &y));
    int64_t want_i[15] = {-7, 20, 50, 80, -7, -7, 130, 160, 190, -7, -7, 240, 270, 300, -7};
    CHECK(y.data && y.dims[0] == 3 && y.dims[1] == 5 && memcmp(y.data, want_i, sizeof want_i) == 0);
    tt_free(&y);
    /* errors: a roi of the wrong length, as the attribute and as the input */
    pml_attr bad[3] = {attr_ints("sizes", o, 2), attr_int("coordinate_transformation_mode", 6),
                       attr_floats("roi", roi, 3)};
    pml_tensor *in1[1] = {&x};
    tt_expect_error("roi attribute length", PML_ERR_INVALID_MODEL, PML_OP_RESIZE, bad, 3, in1, 1, 1);
    pml_tensor r3 = tt_make(PML_FLOAT32, 1, rd, roi);
    pml_tensor *bin[4] = {&xi, NULL, &sz, &r3};
    tt_expect_error("roi input length", PML_ERR_SHAPE, PML_OP_RESIZE, nat, 3, bin, 4, 1);
    tt_free(&r3);
    tt_free(&sz);
    tt_free(&r2);
    tt_free(&xi);
    tt_free(&x);
}

/* ---- GridSample ------------------------------------------------------------------------------------------ */

/* Naive 2-D oracle, one channel at a time (onnxruntime's formulation): x [H, W, C] channels last. */
static float gs_reflect_ref(float v, float lo, float hi) {
    float rng = hi - lo;
    if (rng <= 0.0f) return lo;
    while (v < lo || v > hi) v = v < lo ? 2.0f * lo - v : 2.0f * hi - v;
    return v;
}

static float gs_pixel_ref(const float *x, int64_t H, int64_t W, int64_t C, int64_t c, int64_t r, int64_t q, int pad,
                          const float *lo, const float *hi) {
    if (pad == 0 && (r < 0 || r >= H || q < 0 || q >= W)) return 0.0f;
    if (pad == 1) r = r < 0 ? 0 : (r >= H ? H - 1 : r), q = q < 0 ? 0 : (q >= W ? W - 1 : q);
    if (pad == 2) r = (int64_t)gs_reflect_ref((float)r, lo[0], hi[0]), q = (int64_t)gs_reflect_ref((float)q, lo[1], hi[1]);
    return x[(r * W + q) * C + c];
}

static void gs_cubic_ref(float t, float *w) {
    for (int k = 0; k < 4; k++) {
        float d = fabsf(t - (float)(k - 1)), a = -0.75f;
        w[k] = d <= 1.0f ? ((a + 2.0f) * d - (a + 3.0f)) * d * d + 1.0f : ((a * d - 5.0f * a) * d + 8.0f * a) * d - 4.0f * a;
    }
}

static float gs_sample_ref(const float *x, int64_t H, int64_t W, int64_t C, int64_t c, float gx, float gy, int mode,
                           int pad, int ac) {
    float len[2] = {(float)H, (float)W}, g[2] = {gy, gx}, v[2], lo[2], hi[2];
    for (int a = 0; a < 2; a++) {
        v[a] = ac ? (g[a] + 1.0f) / 2.0f * (len[a] - 1.0f) : ((g[a] + 1.0f) * len[a] - 1.0f) / 2.0f;
        lo[a] = ac ? 0.0f : -0.5f, hi[a] = ac ? len[a] - 1.0f : len[a] - 0.5f;
        if (mode == 1) v[a] = nearbyintf(v[a]);
        if (v[a] < lo[a] || v[a] > hi[a]) {
            if (pad == 1 && mode != 2) v[a] = v[a] < 0.0f ? 0.0f : (v[a] > len[a] - 1.0f ? len[a] - 1.0f : v[a]);
            if (pad == 2) v[a] = gs_reflect_ref(v[a], lo[a], hi[a]);
        }
    }
    if (mode == 1) return gs_pixel_ref(x, H, W, C, c, (int64_t)v[0], (int64_t)v[1], pad, lo, hi);
    int64_t r0 = (int64_t)floorf(v[0]), q0 = (int64_t)floorf(v[1]);
    float ty = v[0] - (float)r0, tx = v[1] - (float)q0, wy[4], wx[4];
    int n = mode == 0 ? 2 : 4, first = mode == 0 ? 0 : -1;
    if (mode == 0) wy[0] = 1.0f - ty, wy[1] = ty, wx[0] = 1.0f - tx, wx[1] = tx;
    else gs_cubic_ref(ty, wy), gs_cubic_ref(tx, wx);
    float acc = 0.0f;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            acc += wy[i] * wx[j] * gs_pixel_ref(x, H, W, C, c, r0 + first + i, q0 + first + j, pad, lo, hi);
    return acc;
}

/* float16 bits as an ordered integer (adjacent values differ by 1; -0 and +0 are equal). */
static int f16_ordinal(uint16_t h) { return (h & 0x8000) ? -(int)(h & 0x7fff) : (int)h; }

/* The first n_half float32 inputs of op rounded to float16 (in place) and converted: the float16 run must
 * give the float32 run on the rounded values, rounded once, to within one float16 ulp: the float16 and
 * float32 instantiations of a kernel are separate code, which a compiler that fuses multiply-adds
 * (gcc on aarch64 does by default) may contract differently, moving a float32 result across a
 * rounding boundary. */
static void check_f16_rounds_once(const char *what, int op, const pml_attr *at, int n_at, pml_tensor **in, int n_in,
                                  int n_half) {
    pml_tensor half[4], *hin[4], y32, yh;
    for (int k = 0; k < n_in; k++) {
        hin[k] = in[k];
        if (k >= n_half) continue;
        half[k] = tt_make(PML_FLOAT16, in[k]->rank, in[k]->dims, NULL);
        float *v = (float *)in[k]->data;
        for (int64_t i = 0; i < numel(in[k]->rank, in[k]->dims); i++) {
            ((uint16_t *)half[k].data)[i] = pml_f32_to_f16_scalar(v[i]);
            v[i] = pml_f16_to_f32_scalar(((uint16_t *)half[k].data)[i]);
        }
        hin[k] = &half[k];
    }
    CHECK_OK(tt_ref(op, at, n_at, in, n_in, &y32));
    tt_check_isa(what, op, at, n_at, hin, n_in, -1, 0, &yh);
    int same = yh.data != NULL && y32.data != NULL;
    for (int64_t i = 0; same && i < numel(y32.rank, y32.dims); i++) {
        int d = f16_ordinal(((uint16_t *)yh.data)[i]) - f16_ordinal(pml_f32_to_f16_scalar(((float *)y32.data)[i]));
        same = d >= -1 && d <= 1;
    }
    if (!same) fprintf(stderr, "%s: float16 differs from float32 rounded once by more than one ulp\n", what);
    CHECK(same);
    tt_free(&y32), tt_free(&yh);
    for (int k = 0; k < n_half; k++) tt_free(&half[k]);
}

static void test_grid_sample(void) {
    static const int64_t chans[] = {1, 4, 5, 13, 127, 128, 129}; /* around the few-channel path and the chunk */
    for (int ci = 0; ci < 7; ci++)
        for (int mode = 0; mode < 3; mode++)
            for (int pad = 0; pad < 3; pad++)
                for (int ac = 0; ac < 2; ac++) {
                    int64_t C = chans[ci], xd[4] = {2, 4, 5, C}, gd[4] = {2, 3, 7, 2}, yd[4] = {2, 3, 7, C};
                    pml_tensor x = tt_rand(4, xd, -2, 2), g = tt_rand(4, gd, -1.6f, 1.6f), y;
                    float *gv = (float *)g.data;
                    gv[0] = 1.0f, gv[1] = -1.0f, gv[2] = 0.0f, gv[3] = 0.25f; /* corners and exact pixel centres */
                    pml_tensor *in[2] = {&x, &g};
                    pml_attr at[3] = {attr_int("mode", mode), attr_int("padding_mode", pad), attr_int("align_corners", ac)};
                    char what[96];
                    snprintf(what, sizeof what, "grid_sample C=%lld mode=%d pad=%d ac=%d", (long long)C, mode, pad, ac);
                    tt_check_isa(what, PML_OP_GRIDSAMPLE, at, 3, in, 2, 1e-6f, 1e-6f, &y);
                    CHECK(tt_shape_is(&y, 4, yd));
                    int ok = y.data != NULL;
                    for (int64_t n = 0; ok && n < 2; n++)
                        for (int64_t p = 0; ok && p < 21; p++)
                            for (int64_t c = 0; ok && c < C; c++) {
                                const float *gp = gv + (n * 21 + p) * 2;
                                float want = gs_sample_ref((float *)x.data + n * 20 * C, 4, 5, C, c, gp[0], gp[1], mode, pad, ac);
                                float got = ((float *)y.data)[(n * 21 + p) * C + c];
                                ok = fabsf(got - want) <= 1e-5f + 1e-5f * fabsf(want);
                                if (!ok) fprintf(stderr, "%s: y[%lld,%lld,%lld] = %g, naive %g\n", what, (long long)n,
                                                 (long long)p, (long long)c, (double)got, (double)want);
                            }
                    CHECK(ok);
                    /* float16 data and grid: the float32 result on the same values, rounded once */
                    check_f16_rounds_once(what, PML_OP_GRIDSAMPLE, at, 3, in, 2, 2);
                    tt_free(&y), tt_free(&x), tt_free(&g);
                }
    /* 1-D and 3-D inputs run; NaN and huge coordinates stay defined */
    int64_t x1d[3] = {1, 6, 3}, g1d[3] = {1, 4, 1}, x3d[5] = {1, 3, 4, 5, 2}, g3d[5] = {1, 2, 2, 3, 3};
    pml_tensor a = tt_rand(3, x1d, -1, 1), ga = tt_rand(3, g1d, -3, 3), b = tt_rand(5, x3d, -1, 1), gb = tt_rand(5, g3d, -3, 3);
    ((float *)ga.data)[0] = NAN, ((float *)ga.data)[1] = 1e30f, ((float *)ga.data)[2] = -INFINITY;
    pml_tensor *in1[2] = {&a, &ga}, *in3[2] = {&b, &gb};
    for (int mode = 0; mode < 3; mode++)
        for (int pad = 0; pad < 3; pad++) {
            pml_attr at[2] = {attr_int("mode", mode), attr_int("padding_mode", pad)};
            tt_check_isa("grid_sample 1-D", PML_OP_GRIDSAMPLE, at, 2, in1, 2, 1e-6f, 1e-6f, NULL);
            tt_check_isa("grid_sample 3-D", PML_OP_GRIDSAMPLE, at, 2, in3, 2, 1e-6f, 1e-6f, NULL);
        }
    /* nearest moves any dtype: int32 and bool against the float32 run on the same values */
    int64_t nxd[4] = {2, 3, 4, 5}, ngd[4] = {2, 6, 3, 2};
    pml_tensor nf = tt_rand(4, nxd, -50, 50), ng = tt_rand(4, ngd, -1.3f, 1.3f), ni = tt_make(PML_INT32, 4, nxd, NULL),
               nb = tt_make(PML_BOOL, 4, nxd, NULL);
    for (int64_t i = 0; i < numel(4, nxd); i++) {
        float v = floorf(((float *)nf.data)[i]);
        ((float *)nf.data)[i] = v, ((int32_t *)ni.data)[i] = (int32_t)v, ((uint8_t *)nb.data)[i] = v > 0.0f;
    }
    for (int pad = 0; pad < 3; pad++) {
        pml_attr nat[2] = {attr_int("mode", 1), attr_int("padding_mode", pad)};
        pml_tensor yf, yi, yb, *fin[2] = {&nf, &ng}, *iin[2] = {&ni, &ng}, *bin2[2] = {&nb, &ng};
        CHECK_OK(tt_ref(PML_OP_GRIDSAMPLE, nat, 2, fin, 2, &yf));
        tt_check_isa("grid_sample nearest int32", PML_OP_GRIDSAMPLE, nat, 2, iin, 2, -1, 0, &yi);
        tt_check_isa("grid_sample nearest bool", PML_OP_GRIDSAMPLE, nat, 2, bin2, 2, -1, 0, &yb);
        int same = yf.data && yi.data && yb.data;
        for (int64_t i = 0; same && i < 2 * 6 * 3 * 5; i++) {
            float v = ((float *)yf.data)[i];
            same = ((int32_t *)yi.data)[i] == (int32_t)v && ((uint8_t *)yb.data)[i] == (v > 0.0f);
        }
        if (!same) fprintf(stderr, "grid_sample nearest pad=%d: int32/bool differ from float32\n", pad);
        CHECK(same);
        tt_free(&yf), tt_free(&yi), tt_free(&yb);
    }
    pml_tensor *lin_int[2] = {&ni, &ng};
    pml_attr lin_mode = attr_int("mode", 0);
    tt_expect_error("grid_sample linear int32", PML_ERR_DTYPE, PML_OP_GRIDSAMPLE, &lin_mode, 1, lin_int, 2, 1);
    tt_free(&nf), tt_free(&ng), tt_free(&ni), tt_free(&nb);
    /* errors */
    pml_attr bad_mode = attr_int("mode", 3), bad_pad = attr_int("padding_mode", -1), bad_ac = attr_int("align_corners", 2);
    pml_tensor *mixed[2] = {&a, &gb};
    tt_expect_error("grid_sample mode 3", PML_ERR_INVALID_MODEL, PML_OP_GRIDSAMPLE, &bad_mode, 1, in1, 2, 1);
    tt_expect_error("grid_sample padding -1", PML_ERR_INVALID_MODEL, PML_OP_GRIDSAMPLE, &bad_pad, 1, in1, 2, 1);
    tt_expect_error("grid_sample align_corners 2", PML_ERR_INVALID_MODEL, PML_OP_GRIDSAMPLE, &bad_ac, 1, in1, 2, 1);
    tt_expect_error("grid_sample grid rank", PML_ERR_SHAPE, PML_OP_GRIDSAMPLE, NULL, 0, mixed, 2, 1);
    int64_t gk[3] = {1, 4, 2}, gn[3] = {2, 4, 1}, x2[2] = {6, 3}, x6[6] = {1, 2, 2, 2, 2, 1}, xe[3] = {1, 0, 3};
    pml_tensor wk = tt_rand(3, gk, -1, 1), wn = tt_rand(3, gn, -1, 1), r2 = tt_rand(2, x2, -1, 1), r6 = tt_rand(6, x6, -1, 1),
               e = tt_make(PML_FLOAT32, 3, xe, NULL);
    pml_tensor *k_in[2] = {&a, &wk}, *n_in[2] = {&a, &wn}, *in2[2] = {&r2, &wk}, *in6[2] = {&r6, &wk}, *ein[2] = {&e, &ga};
    tt_expect_error("grid_sample grid last dim", PML_ERR_SHAPE, PML_OP_GRIDSAMPLE, NULL, 0, k_in, 2, 1);
    tt_expect_error("grid_sample batch", PML_ERR_SHAPE, PML_OP_GRIDSAMPLE, NULL, 0, n_in, 2, 1);
    tt_expect_error("grid_sample rank 2", PML_ERR_UNSUPPORTED, PML_OP_GRIDSAMPLE, NULL, 0, in2, 2, 1);
    tt_expect_error("grid_sample rank 6", PML_ERR_UNSUPPORTED, PML_OP_GRIDSAMPLE, NULL, 0, in6, 2, 1);
    tt_expect_error("grid_sample empty axis", PML_ERR_SHAPE, PML_OP_GRIDSAMPLE, NULL, 0, ein, 2, 1);
    tt_free(&a), tt_free(&ga), tt_free(&b), tt_free(&gb), tt_free(&wk), tt_free(&wn), tt_free(&r2), tt_free(&r6), tt_free(&e);
}

/* ---- AffineGrid ------------------------------------------------------------------------------------------ */

static float ag_base_ref(int64_t i, int64_t d, int ac) {
    if (d == 1) return ac ? -1.0f : 0.0f;
    double step = 2.0 / (double)d; /* pixel centres: -1 + step / 2 + i * step */
    return ac ? (float)(-1.0 + 2.0 * (double)i / (double)(d - 1)) : (float)(-1.0 + step / 2.0 + (double)i * step);
}

static void test_affine_grid(void) {
    static const int64_t sizes[][5] = {{2, 3, 5, 6, 0}, {1, 1, 1, 13, 0}, {1, 1, 7, 1, 0}, {2, 1, 3, 4, 5}, {1, 2, 1, 13, 2}};
    for (int si = 0; si < 5; si++)
        for (int ac = 0; ac < 2; ac++)
            for (int half = 0; half < 2; half++) {
                int n = sizes[si][4] ? 5 : 4, k = n - 2;
                int64_t sd[1] = {n}, td[3] = {sizes[si][0], k, k + 1}, yd[5];
                pml_tensor size = t_i64(1, sd, sizes[si], 1), tf = tt_rand(3, td, -2, 2);
                pml_tensor th = half ? tt_make(PML_FLOAT16, 3, td, NULL) : tf, y;
                if (half)
                    for (int64_t i = 0; i < numel(3, td); i++) {
                        ((uint16_t *)th.data)[i] = pml_f32_to_f16_scalar(((float *)tf.data)[i]);
                        ((float *)tf.data)[i] = pml_f16_to_f32_scalar(((uint16_t *)th.data)[i]);
                    }
                pml_tensor *in[2] = {&th, &size};
                pml_attr at = attr_int("align_corners", ac);
                char what[64];
                snprintf(what, sizeof what, "affine_grid size %d ac=%d f16=%d", si, ac, half);
                tt_check_isa(what, PML_OP_AFFINEGRID, &at, 1, in, 2, half ? -1.0f : 1e-6f, 1e-6f, &y);
                yd[0] = sizes[si][0], yd[k + 1] = k;
                for (int a = 0; a < k; a++) yd[a + 1] = sizes[si][a + 2];
                CHECK(tt_shape_is(&y, k + 2, yd));
                int64_t pts = numel(k, yd + 1), W = yd[k], H = yd[k - 1];
                int ok = y.data != NULL;
                for (int64_t b = 0; ok && b < yd[0]; b++)
                    for (int64_t p = 0; ok && p < pts; p++) {
                        float base[4] = {ag_base_ref(p % W, W, ac), ag_base_ref((p / W) % H, H, ac),
                                         k == 3 ? ag_base_ref(p / (W * H), yd[1], ac) : 1.0f, 1.0f};
                        for (int j = 0; ok && j < k; j++) {
                            const float *row = (float *)tf.data + (b * k + j) * (k + 1);
                            float want = 0.0f;
                            for (int i = 0; i <= k; i++) want += row[i] * base[i];
                            int64_t at_ = (b * pts + p) * k + j;
                            float got = half ? pml_f16_to_f32_scalar(((uint16_t *)y.data)[at_]) : ((float *)y.data)[at_];
                            ok = fabsf(got - want) <= (half ? 2e-3f : 1e-5f) * (1.0f + fabsf(want));
                            if (!ok) fprintf(stderr, "%s: grid[%lld] = %g, by hand %g\n", what, (long long)at_, (double)got, (double)want);
                        }
                    }
                CHECK(ok);
                tt_free(&y), tt_free(&size), tt_free(&tf);
                if (half) tt_free(&th);
            }
    /* errors: size of 3 values, theta of the wrong shape or batch, a negative size, size unknown while planning */
    int64_t s3[3] = {1, 1, 4}, s4[4] = {1, 1, 4, 4}, neg[4] = {1, 1, -4, 4}, d3[1] = {3}, d4[1] = {4}, tdim[3] = {1, 2, 3},
            wrong[3] = {1, 3, 4}, two[3] = {2, 2, 3};
    pml_tensor t = tt_rand(3, tdim, -1, 1), tw = tt_rand(3, wrong, -1, 1), t2 = tt_rand(3, two, -1, 1);
    pml_tensor z3 = t_i64(1, d3, s3, 1), z4 = t_i64(1, d4, s4, 1), zn = t_i64(1, d4, neg, 1), zu = t_i64(1, d4, s4, 0);
    pml_tensor *e1[2] = {&t, &z3}, *e2[2] = {&tw, &z4}, *e3[2] = {&t2, &z4}, *e4[2] = {&t, &zn}, *e5[2] = {&t, &zu};
    tt_expect_error("affine_grid size of 3", PML_ERR_SHAPE, PML_OP_AFFINEGRID, NULL, 0, e1, 2, 1);
    tt_expect_error("affine_grid theta shape", PML_ERR_SHAPE, PML_OP_AFFINEGRID, NULL, 0, e2, 2, 1);
    tt_expect_error("affine_grid theta batch", PML_ERR_SHAPE, PML_OP_AFFINEGRID, NULL, 0, e3, 2, 1);
    tt_expect_error("affine_grid negative size", PML_ERR_SHAPE, PML_OP_AFFINEGRID, NULL, 0, e4, 2, 1);
    pml_tensor out[1];
    CHECK(pml_test_op(PML_OP_AFFINEGRID, NULL, 0, e5, 2, out, 1, 1, 1) != PML_OK);
    tt_free(&t), tt_free(&tw), tt_free(&t2), tt_free(&z3), tt_free(&z4), tt_free(&zn), tt_free(&zu);
}

/* ---- RoiAlign ------------------------------------------------------------------------------------------- */

/* One output element of channel c, written per sample with the four corners read one by one. */
static float roi_ref(const float *img, int64_t H, int64_t W, int64_t C, int64_t c, const float *roi, int64_t ph,
                     int64_t pw, int64_t OH, int64_t OW, int64_t ratio, float scale, int max_mode, int half) {
    float off = half ? 0.5f : 0.0f, x0 = roi[0] * scale - off, y0 = roi[1] * scale - off;
    float rw = (roi[2] * scale - off) - x0, rh = (roi[3] * scale - off) - y0;
    if (!half) rw = rw < 1.0f ? 1.0f : rw, rh = rh < 1.0f ? 1.0f : rh;
    float bw = rw / (float)OW, bh = rh / (float)OH;
    int64_t gh = ratio ? ratio : (int64_t)ceilf(rh / (float)OH), gw = ratio ? ratio : (int64_t)ceilf(rw / (float)OW);
    if (gh < 0) gh = 0;
    if (gw < 0) gw = 0;
    float acc = 0.0f;
    for (int64_t iy = 0; iy < gh; iy++)
        for (int64_t ix = 0; ix < gw; ix++) {
            float yy = y0 + (float)ph * bh + ((float)iy + 0.5f) * bh / (float)gh;
            float xx = x0 + (float)pw * bw + ((float)ix + 0.5f) * bw / (float)gw;
            float v = 0.0f, sum = 0.0f;
            if (yy >= -1.0f && yy <= (float)H && xx >= -1.0f && xx <= (float)W) {
                yy = yy < 0 ? 0 : yy, xx = xx < 0 ? 0 : xx;
                int64_t yl = (int64_t)yy, xl = (int64_t)xx, yh = yl + 1, xh = xl + 1;
                if (yl >= H - 1) yl = yh = H - 1, yy = (float)yl;
                if (xl >= W - 1) xl = xh = W - 1, xx = (float)xl;
                float ly = yy - (float)yl, lx = xx - (float)xl;
                float p[4] = {(1 - ly) * (1 - lx) * img[(yl * W + xl) * C + c], (1 - ly) * lx * img[(yl * W + xh) * C + c],
                              ly * (1 - lx) * img[(yh * W + xl) * C + c], ly * lx * img[(yh * W + xh) * C + c]};
                sum = p[0] + p[1] + p[2] + p[3];
                v = fmaxf(fmaxf(p[0], p[1]), fmaxf(p[2], p[3]));
            }
            acc = !max_mode ? acc + sum : (iy + ix == 0 || v > acc) ? v : acc;
        }
    return max_mode ? acc : acc / (float)(gh * gw > 1 ? gh * gw : 1);
}

static void test_roi_align(void) {
    static const int64_t chans[] = {1, 4, 13, 127, 128, 129};
    const float rois_v[5 * 4] = {1.0f, 2.0f, 7.5f, 6.0f,   8.0f, 5.0f, 2.0f, 1.0f,  -3.0f, -2.0f, 4.0f, 3.0f,
                                 0.3f, 0.4f, 0.35f, 0.42f,  5.0f, 0.0f, 12.0f, 9.0f};
    const int64_t batch_v[5] = {0, 1, 1, 2, 0};
    int64_t rd[2] = {5, 4}, bd[1] = {5};
    for (int ci = 0; ci < 6; ci++)
        for (int mode = 0; mode < 2; mode++)
            for (int half = 0; half < 2; half++)
                for (int64_t ratio = 0; ratio < 3; ratio += 2) {
                    const int64_t C = chans[ci], H = 7, W = 9, OH = 3, OW = 4, xd[4] = {3, H, W, C}, yd[4] = {5, OH, OW, C};
                    const float scale = 0.75f;
                    pml_tensor x = tt_rand(4, xd, -2, 2), rois = tt_make(PML_FLOAT32, 2, rd, rois_v);
                    pml_tensor bi = tt_make(PML_INT64, 1, bd, batch_v), y;
                    pml_tensor *in[3] = {&x, &rois, &bi};
                    pml_attr at[6] = {attr_int("mode", mode), attr_int("half_pixel", half), attr_int("output_height", OH),
                                      attr_int("output_width", OW), attr_int("sampling_ratio", ratio),
                                      attr_float("spatial_scale", scale)};
                    char what[96];
                    snprintf(what, sizeof what, "roi_align C=%lld mode=%d half=%d ratio=%lld", (long long)C, mode, half,
                             (long long)ratio);
                    tt_check_isa(what, PML_OP_ROIALIGN, at, 6, in, 3, 1e-6f, 1e-6f, &y);
                    CHECK(tt_shape_is(&y, 4, yd));
                    int ok = y.data != NULL;
                    for (int64_t i = 0; ok && i < numel(4, yd); i++) {
                        int64_t c = i % C, pw = (i / C) % OW, ph = (i / (C * OW)) % OH, r = i / (C * OW * OH);
                        float want = roi_ref((float *)x.data + batch_v[r] * H * W * C, H, W, C, c, rois_v + r * 4, ph, pw,
                                             OH, OW, ratio, scale, mode, half);
                        float got = ((float *)y.data)[i];
                        ok = fabsf(got - want) <= 1e-5f + 1e-5f * fabsf(want);
                        if (!ok) fprintf(stderr, "%s: y[%lld] = %g, naive %g\n", what, (long long)i, (double)got, (double)want);
                    }
                    CHECK(ok);
                    /* float16 x and rois: the float32 result on the same values, rounded once */
                    check_f16_rounds_once(what, PML_OP_ROIALIGN, at, 6, in, 3, 2);
                    tt_free(&y), tt_free(&x), tt_free(&rois), tt_free(&bi);
                }
    /* hostile rois (NaN, infinite, huge) stay defined: adaptive grids are clamped, NaN takes no sample */
    int64_t xd[4] = {2, 5, 6, 3}, rd3[2] = {3, 4}, bd3[1] = {3}, b_ok[3] = {0, 1, 0}, b_bad[3] = {0, 2, 0};
    const float wild[12] = {NAN, 0, 1, 1, -INFINITY, 0, INFINITY, 3, -1e30f, -1e30f, 1e30f, 1e30f};
    pml_tensor x = tt_rand(4, xd, -1, 1), w = tt_make(PML_FLOAT32, 2, rd3, wild), bok = tt_make(PML_INT64, 1, bd3, b_ok),
               bbad = tt_make(PML_INT64, 1, bd3, b_bad);
    pml_tensor *win[3] = {&x, &w, &bok}, *bad_in[3] = {&x, &w, &bbad};
    pml_attr mx = attr_int("mode", 1);
    tt_check_isa("roi_align hostile rois", PML_OP_ROIALIGN, &mx, 1, win, 3, 0, 0, NULL);
    tt_expect_error("roi_align batch index 2 of 2", PML_ERR_RUNTIME, PML_OP_ROIALIGN, NULL, 0, bad_in, 3, 1);
    /* errors: attributes, shapes */
    pml_attr bad[5] = {attr_int("mode", 2), attr_int("half_pixel", 3), attr_int("output_height", 0),
                       attr_int("sampling_ratio", -1), attr_float("spatial_scale", INFINITY)};
    for (int i = 0; i < 5; i++) tt_expect_error("roi_align attribute", PML_ERR_INVALID_MODEL, PML_OP_ROIALIGN, &bad[i], 1, win, 3, 1);
    int64_t r5[2] = {3, 5}, b2[1] = {2}, x3[3] = {2, 5, 6};
    pml_tensor w5 = tt_rand(2, r5, 0, 1), bb2 = tt_make(PML_INT64, 1, b2, b_ok), xr3 = tt_rand(3, x3, 0, 1);
    pml_tensor *e1[3] = {&x, &w5, &bok}, *e2[3] = {&x, &w, &bb2}, *e3[3] = {&xr3, &w, &bok};
    tt_expect_error("roi_align rois [3, 5]", PML_ERR_SHAPE, PML_OP_ROIALIGN, NULL, 0, e1, 3, 1);
    tt_expect_error("roi_align 2 batch indices for 3 rois", PML_ERR_SHAPE, PML_OP_ROIALIGN, NULL, 0, e2, 3, 1);
    tt_expect_error("roi_align x of rank 3", PML_ERR_SHAPE, PML_OP_ROIALIGN, NULL, 0, e3, 3, 1);
    tt_free(&x), tt_free(&w), tt_free(&bok), tt_free(&bbad), tt_free(&w5), tt_free(&bb2), tt_free(&xr3);
}

int main(void) {
    test_resize();
    test_resize_crop();
    test_grid_sample();
    test_affine_grid();
    test_roi_align();
    return test_finish("test_resize");
}
