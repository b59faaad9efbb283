DROP TABLE administrations;
DROP TABLE instruments;
