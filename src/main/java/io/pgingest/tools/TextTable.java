package io.pgingest.tools;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A query result held as text, rendered either as an aligned table for people (psql-like, numbers
 * right-aligned, long cells shortened) or as tab-separated lines for scripts; immutable.
 *
 * @param columns column labels, in result order
 * @param numeric per column, whether values are numbers (right-aligned in the aligned form)
 * @param rows    the rows; a cell is {@code null} for SQL NULL
 */
public record TextTable(List<String> columns, List<Boolean> numeric, List<List<String>> rows) {

    /** Cells longer than this are shortened in the aligned form so one wide JSON value cannot hide the rest. */
    static final int MAX_CELL_WIDTH = 60;
    static final String NULL_TEXT = "NULL";

    public TextTable {
        columns = List.copyOf(columns);
        numeric = List.copyOf(numeric);
        if (numeric.size() != columns.size()) {
            throw new IllegalArgumentException("numeric flags (" + numeric.size() + ") must match columns (" + columns.size() + ")");
        }
        List<List<String>> copy = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException("row has " + row.size() + " cells, expected " + columns.size());
            }
            copy.add(Collections.unmodifiableList(new ArrayList<>(row)));
        }
        rows = Collections.unmodifiableList(copy);
    }

    /** The aligned form: header, separator, rows, and a {@code (n rows)} footer; ends with a newline. */
    public String aligned() {
        return aligned(MAX_CELL_WIDTH);
    }

    /** The aligned form with cells shortened to {@code maxCellWidth} characters (at least 4). */
    public String aligned(int maxCellWidth) {
        List<String> header = columns.stream().map(TextTable::printable).toList();
        List<List<String>> body = rows.stream()
                .map(row -> row.stream().map(cell -> alignedCell(cell, Math.max(4, maxCellWidth))).toList())
                .toList();
        int[] widths = widths(header, body);
        StringBuilder out = new StringBuilder();
        appendLine(out, header, widths, false);
        for (int i = 0; i < widths.length; i++) {
            out.append(i == 0 ? "" : "+").append("-".repeat(widths[i] + 2));
        }
        out.append('\n');
        for (List<String> row : body) {
            appendLine(out, row, widths, true);
        }
        out.append('(').append(rows.size()).append(rows.size() == 1 ? " row)" : " rows)").append('\n');
        return out.toString();
    }

    /** The script form: one line per row, cells separated by tabs, no header; NULL is an empty cell. */
    public String tabSeparated() {
        StringBuilder out = new StringBuilder();
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                out.append(i == 0 ? "" : "\t").append(Objects.toString(row.get(i), "")
                        .replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"));
            }
            out.append('\n');
        }
        return out.toString();
    }

    private int[] widths(List<String> header, List<List<String>> body) {
        int[] widths = new int[header.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = header.get(i).length();
        }
        for (List<String> row : body) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        return widths;
    }

    private void appendLine(StringBuilder out, List<String> cells, int[] widths, boolean alignNumbers) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            String pad = " ".repeat(widths[i] - cell.length());
            line.append(i == 0 ? " " : " | ");
            line.append(alignNumbers && numeric.get(i) ? pad + cell : cell + pad);
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    private static String alignedCell(String value, int maxWidth) {
        if (value == null) {
            return NULL_TEXT;
        }
        String text = printable(value);
        return text.length() <= maxWidth ? text : text.substring(0, maxWidth - 3) + "...";
    }

    /** Control characters would break the alignment: show them escaped. */
    private static String printable(String value) {
        return value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }
}
