"""pocketml"""
