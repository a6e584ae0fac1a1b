package io.pgingest.mapping;

import java.math.BigDecimal;

/** Exact numeric values: a {@link BigDecimal}, or the strings {@code NaN}, {@code Infinity}, {@code -Infinity}. */
final class Decimals {

    static final String NAN = "NaN";
    static final String INFINITY = "Infinity";
    static final String NEGATIVE_INFINITY = "-Infinity";

    private Decimals() {
    }

    /** Parses PostgreSQL's numeric text; the special values stay strings in their PostgreSQL spelling. */
    static Object parse(String text) {
        if (text == null) {
            return null;
        }
        String special = special(text);
        return special != null ? special : new BigDecimal(text);
    }

    /** The canonical spelling when the text is NaN or an infinity (any case, {@code inf} too), else null. */
    static String special(String text) {
        if (text.isEmpty()) {
            return null;
        }
        char first = text.charAt(0);
        if (Character.isDigit(first) || first == '.') {
            return null;
        }
        String t = text.strip();
        if (t.equalsIgnoreCase("nan")) {
            return NAN;
        }
        if (t.equalsIgnoreCase("infinity") || t.equalsIgnoreCase("+infinity") || t.equalsIgnoreCase("inf")
                || t.equalsIgnoreCase("+inf")) {
            return INFINITY;
        }
        if (t.equalsIgnoreCase("-infinity") || t.equalsIgnoreCase("-inf")) {
            return NEGATIVE_INFINITY;
        }
        return null;
    }
}
