package io.pgingest.naming;

import io.pgingest.event.SourceTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static io.pgingest.naming.DestinationNaming.columnNames;
import static io.pgingest.naming.DestinationNaming.identifier;
import static io.pgingest.naming.DestinationNaming.tableName;
import static org.assertj.core.api.Assertions.assertThat;

class DestinationNamingTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "orders|orders",
            "MixedCase|mixedcase",
            "Order Items|order_items",
            "order--items  2|order_items_2",
            "' padded '|padded",
            "(total)|total",
            "_id|_id",
            "id_|id_",
            "__x__|__x__",
            "a_!b|a__b",
            "Größe|gr_e",
            "café|caf",
            "2fast|_2fast",
            "'  9 lives'|_9_lives",
            "$|_",
            "''|_",
            "_|_",
    })
    void identifierIsLowerCaseAsciiWithoutQuotingNeeds(String raw, String expected) {
        assertThat(identifier(raw)).as("identifier(%s)", raw).isEqualTo(expected);
    }

    @Test
    void longNamesAreCutTo63BytesWithAHashOfTheOriginal() {
        String a = "x".repeat(70) + "A";
        String b = "x".repeat(70) + "B";
        assertThat(identifier(a)).as("54 kept characters, '_' and 8 hex characters").hasSize(63)
                .startsWith("x".repeat(54) + "_").matches("x{54}_[0-9a-f]{8}");
        assertThat(identifier(a)).as("names differing only after the cut stay different").isNotEqualTo(identifier(b));
        assertThat(identifier(a)).as("deterministic").isEqualTo(identifier(a));
        assertThat(identifier("y".repeat(63))).as("exactly 63 characters are kept as they are").isEqualTo("y".repeat(63));
    }

    @Test
    void multiByteCharactersNeverExceedTheByteLimit() {
        String name = identifier("é".repeat(40) + "a".repeat(40));
        assertThat(name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).as("bytes").isLessThanOrEqualTo(63);
    }

    @Test
    void duplicateColumnsGetNumberedSuffixesInColumnOrder() {
        assertThat(columnNames(List.of("Id", "id", "ID", "name", "Name ")))
                .as("first occurrence keeps the name, later ones _2, _3")
                .containsExactly("id", "id_2", "id_3", "name", "name_2");
    }

    @Test
    void suffixSkipsNamesAlreadyTaken() {
        assertThat(columnNames(List.of("a", "a_2", "A")))
                .as("the third column cannot take a_2, held by the second")
                .containsExactly("a", "a_2", "a_3");
    }

    @Test
    void suffixedLongNamesStayWithinTheLimit() {
        String longName = "c".repeat(63);
        List<String> names = columnNames(List.of(longName, longName.toUpperCase()));
        assertThat(names.get(1)).as("suffix replaces the tail, not extends past 63").hasSize(63).endsWith("_2");
        assertThat(names.get(0)).isNotEqualTo(names.get(1));
    }

    @Test
    void sourceColumnsThatLookLikeMetadataAreEscaped() {
        assertThat(columnNames(List.of("_pgingest_deleted", "_PgIngest_Id", "pgingest_x", "_pgingestx")))
                .as("names reserved for metadata columns get prefix src")
                .containsExactly("src_pgingest_deleted", "src_pgingest_id", "pgingest_x", "_pgingestx");
    }

    @Test
    void columnNamesKeepOrderAndSize() {
        assertThat(columnNames(List.of("b", "a", "c"))).containsExactly("b", "a", "c");
        assertThat(columnNames(List.of())).isEmpty();
    }

    @Test
    void mergedTableNamesOmitThePublicSchema() {
        assertThat(tableName(new SourceTable("shop", "public", "Orders"), true)).isEqualTo("orders");
        assertThat(tableName(new SourceTable("shop", "Sales", "Order Items"), true)).isEqualTo("sales_order_items");
    }

    @Test
    void unmergedTableNamesStartWithTheDatabase() {
        assertThat(tableName(new SourceTable("Shop-EU", "public", "orders"), false)).isEqualTo("shop_eu_orders");
        assertThat(tableName(new SourceTable("shop", "sales", "orders"), false)).isEqualTo("shop_sales_orders");
    }

    @Test
    void sameTableOfTwoDatabasesMergesOnlyWhenAsked() {
        SourceTable eu = new SourceTable("eu", "public", "orders");
        SourceTable us = new SourceTable("us", "public", "orders");
        assertThat(tableName(eu, true)).as("merge tables on: one table").isEqualTo(tableName(us, true));
        assertThat(tableName(eu, false)).as("merge tables off: one table per database").isNotEqualTo(tableName(us, false));
    }

    /** Two source tables one destination table would hold are told, with the way to keep them apart. */
    @Test
    void sourceTablesSharingADestinationTableAreFound() {
        io.pgingest.event.SourceTable a = new io.pgingest.event.SourceTable("shop", "public", "A b");
        io.pgingest.event.SourceTable b = new io.pgingest.event.SourceTable("shop", "public", "a_b");
        io.pgingest.event.SourceTable c = new io.pgingest.event.SourceTable("shop", "public", "orders");
        org.assertj.core.api.Assertions.assertThat(DestinationNaming.sharedNames(java.util.List.of(a, c, b), true))
                .containsOnlyKeys("a_b").containsEntry("a_b", java.util.List.of(a, b));
        org.assertj.core.api.Assertions.assertThat(DestinationNaming.sharedNameWarnings(java.util.List.of(a, c, b), true))
                .singleElement().asString().contains("all write destination table a_b").contains("rename one");
        org.assertj.core.api.Assertions.assertThat(DestinationNaming.sharedNames(java.util.List.of(a, c), true)).isEmpty();
    }
}
