package io.pgingest; public class PgIngest { public static void main(String[] a) {} }
