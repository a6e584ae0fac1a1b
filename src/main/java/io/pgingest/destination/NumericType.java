package io.pgingest.destination;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An exact numeric type as (integer digits, scale), used to widen integer and decimal columns:
 * the merge of two types keeps the larger integer part and the larger scale.
 */
public record NumericType(int integerDigits, int scale) {

    private static final Pattern DECIMAL = Pattern.compile("(?:decimal|numeric)\\s*\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)",
            Pattern.CASE_INSENSITIVE);

    /** Parses {@code DECIMAL(p,s)}/{@code numeric(p,s)}, or returns {@code null}. */
    public static NumericType parseDecimal(String type) {
        Matcher m = DECIMAL.matcher(type.trim());
        if (!m.matches()) {
            return null;
        }
        int precision = Integer.parseInt(m.group(1));
        int scale = Integer.parseInt(m.group(2));
        return new NumericType(precision - scale, scale);
    }

    /** The exact numeric type of an integer type with {@code digits} decimal digits. */
    public static NumericType ofInteger(int digits) {
        return new NumericType(digits, 0);
    }

    public NumericType merge(NumericType other) {
        return new NumericType(Math.max(integerDigits, other.integerDigits), Math.max(scale, other.scale));
    }

    public int precision() {
        return integerDigits + scale;
    }
}
