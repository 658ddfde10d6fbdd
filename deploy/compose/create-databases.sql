-- One database per service: a service never reads another's tables.
CREATE DATABASE registry;
CREATE DATABASE referrals;
CREATE DATABASE notifications;
CREATE DATABASE consultation;
CREATE DATABASE monitoring;
