"""The Discord shell: messages in a review channel, reactions in, Reviewer calls out.

(`import discord` in these modules still gets discord.py: imports are absolute.)"""
